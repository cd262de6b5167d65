package streamsync_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// recorder is a sink that remembers what it was given.
type recorder struct {
	got  []change.Notification
	fail error
}

func (r *recorder) Apply(_ context.Context, batch []change.Notification) error {
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, batch...)
	return nil
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func marshal(t *testing.T, v any) store.Item {
	t.Helper()
	it, err := store.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// scenario writes a small directory and changes it, through any store.
func scenario(t *testing.T, s store.Store) {
	t.Helper()
	const acct = "1234567"
	dev := model.Device{
		Common:  model.Common{PK: model.AccountPK(acct), SK: model.DeviceKey(acct, acct+"e0").SK, Type: model.TypeDevice},
		Account: acct, ID: acct + "e0", Owner: "w0", Kind: model.DevicePhone, Name: "Desk", Enabled: true,
		Realm: "sip.switchboard.local", HA1MD5: "0123456789abcdef0123456789abcdef",
		LookupPK: model.DeviceLookup(acct + "e0"), LookupSK: "DEVICE",
	}
	user := model.User{Common: model.Common{PK: model.AccountPK(acct), SK: model.UserKey(acct, "w0").SK, Type: model.TypeUser},
		Account: acct, ID: "w0", Name: "Ada", Email: "ada@example.com", Extension: "10",
		Forwarding: []model.Forward{{When: "noAnswer", After: 20, Target: "+4930123456"}}}
	group := model.Group{Common: model.Common{PK: model.AccountPK(acct), SK: model.GroupKey(acct, "g0").SK, Type: model.TypeGroup},
		Account: acct, ID: "g0", Name: "Sales", Extension: "20", Members: []string{"w0"}}
	num := model.Number{Common: model.Common{PK: model.AccountPK(acct), SK: model.NumberKey(acct, "+4918010000001").SK, Type: model.TypeNumber},
		Account: acct, E164: "+4918010000001", Active: true, Route: model.RouteGroup, Target: "g0",
		LookupPK: model.NumberLookup("+4918010000001"), LookupSK: "NUMBER"}
	c := ctx(t)
	write := func(ops ...store.Op) {
		t.Helper()
		if err := s.Write(c, ops...); err != nil {
			t.Fatal(err)
		}
	}
	write(
		store.Put(marshal(t, user)),
		store.Put(marshal(t, dev)),
		// A guard item is not for the fleet.
		store.Put(store.Item{store.AttrPK: store.S(model.AccountPK(acct)), store.AttrSK: store.S("EXT#10")}),
	)
	write(store.Put(marshal(t, group)))
	write(store.Put(marshal(t, num)))
	write(store.Update(model.DeviceKey(acct, acct+"e0")).SetAttr("enabled", &types.AttributeValueMemberBOOL{Value: false}))
	write(store.Delete(model.DeviceKey(acct, acct+"e0")))
}

// summary keeps what must match between sources, not sequence numbers.
func summary(ns []change.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		detail := ""
		switch n.Kind {
		case change.KindDevice:
			detail = fmt.Sprintf("enabled=%v ha1=%s owner=%s", n.Device.Enabled, n.Device.HA1MD5, n.Device.Owner)
		case change.KindUser:
			detail = fmt.Sprintf("ext=%s fwd=%+v", n.User.Extension, n.User.Forwarding)
		case change.KindGroup:
			detail = fmt.Sprintf("ext=%s members=%v", n.Group.Extension, n.Group.Members)
		case change.KindNumber:
			detail = fmt.Sprintf("route=%s:%s active=%v", n.Number.Route, n.Number.Target, n.Number.Active)
		}
		out[i] = fmt.Sprintf("%s removed=%v %s/%s %s", n.Kind, n.Removed, n.Account, n.ID, detail)
	}
	return out
}

var wantSummary = []string{
	"user removed=false 1234567/w0 ext=10 fwd=[{When:noAnswer After:20 Target:+4930123456}]",
	"device removed=false 1234567/1234567e0 enabled=true ha1=0123456789abcdef0123456789abcdef owner=w0",
	"group removed=false 1234567/g0 ext=20 members=[w0]",
	"number removed=false 1234567/+4918010000001 route=group:g0 active=true",
	"device removed=false 1234567/1234567e0 enabled=false ha1=0123456789abcdef0123456789abcdef owner=w0",
	"device removed=true 1234567/1234567e0 enabled=false ha1=0123456789abcdef0123456789abcdef owner=w0",
}

// sortFirstWrite orders the two records of the first (transactional)
// write, whose order within the write is not defined.
func sortFirstWrite(s []string) []string {
	if len(s) >= 2 && strings.HasPrefix(s[0], "device") && strings.HasPrefix(s[1], "user") {
		s[0], s[1] = s[1], s[0]
	}
	return s
}

func openEmbedded(t *testing.T) *embedded.DB {
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestHandleEmbeddedRecords(t *testing.T) {
	db := openEmbedded(t)
	scenario(t, db)
	recs, err := db.ReadChanges(ctx(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recorder{}
	h, err := streamsync.New(sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(ctx(t), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v, %v", resp, err)
	}
	if got := sortFirstWrite(summary(sink.got)); !reflect.DeepEqual(got, wantSummary) {
		t.Fatalf("notifications\n got %q\nwant %q", got, wantSummary)
	}
	for i := 1; i < len(sink.got); i++ {
		if sink.got[i].Sequence <= sink.got[i-1].Sequence {
			t.Fatalf("notifications out of order: %s after %s", sink.got[i].Sequence, sink.got[i-1].Sequence)
		}
	}
}

func TestHandleFailures(t *testing.T) {
	db := openEmbedded(t)
	scenario(t, db)
	recs, err := db.ReadChanges(ctx(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// A record whose image does not fit its type: the records before it
	// are delivered and it is reported as the first failure.
	bad := recs[3]
	bad.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"type": events.NewStringAttribute("group"), "members": events.NewStringAttribute("not a list")}
	batch := append(append(append([]events.DynamoDBEventRecord(nil), recs[:3]...), bad), recs[4:]...)
	sink := &recorder{}
	h, _ := streamsync.New(sink, nil)
	resp, err := h.Handle(ctx(t), events.DynamoDBEvent{Records: batch})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != bad.Change.SequenceNumber {
		t.Fatalf("failures %+v, want the bad record %s", resp.BatchItemFailures, bad.Change.SequenceNumber)
	}
	if len(sink.got) != 2 {
		t.Fatalf("delivered %d notifications before the bad record, want 2", len(sink.got))
	}
	// A failing sink reports the whole batch.
	h, _ = streamsync.New(&recorder{fail: errors.New("fleet unreachable")}, nil)
	resp, _ = h.Handle(ctx(t), events.DynamoDBEvent{Records: recs})
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != recs[0].Change.SequenceNumber {
		t.Fatalf("sink failure: %+v", resp.BatchItemFailures)
	}
}
