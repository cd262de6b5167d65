package storetest

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/store"
)

// change is the part of a change record the suite compares.
type change struct {
	Event    string
	Key      string
	Old, New map[string]string // string and number attributes, v left out
}

func changes(t *testing.T, h Harness) []change {
	t.Helper()
	recs, err := h.Changes(ctxFor(t))
	if err != nil {
		t.Fatalf("read change records: %v", err)
	}
	var prev *big.Int
	out := make([]change, 0, len(recs))
	for _, r := range recs {
		if r.EventSource != "aws:dynamodb" {
			t.Fatalf("event source %q", r.EventSource)
		}
		if r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" {
			t.Fatalf("stream view type %q", r.Change.StreamViewType)
		}
		seq, ok := new(big.Int).SetString(r.Change.SequenceNumber, 10)
		if !ok {
			t.Fatalf("sequence number %q is not a decimal number", r.Change.SequenceNumber)
		}
		if prev != nil && seq.Cmp(prev) <= 0 {
			t.Fatalf("sequence numbers not increasing: %s after %s", seq, prev)
		}
		prev = seq
		if len(r.Change.Keys) != 2 {
			t.Fatalf("keys %v, want PK and SK only", r.Change.Keys)
		}
		out = append(out, change{
			Event: r.EventName,
			Key:   r.Change.Keys[store.AttrPK].String() + "|" + r.Change.Keys[store.AttrSK].String(),
			Old:   flat(r.Change.OldImage),
			New:   flat(r.Change.NewImage),
		})
		checkVersion(t, r)
	}
	return out
}

// checkVersion checks that images carry the item's version.
func checkVersion(t *testing.T, r events.DynamoDBEventRecord) {
	t.Helper()
	if r.Change.NewImage != nil {
		if _, ok := r.Change.NewImage[store.AttrVersion]; !ok {
			t.Fatalf("new image without version: %v", r.Change.NewImage)
		}
	}
}

func flat(img map[string]events.DynamoDBAttributeValue) map[string]string {
	if img == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range img {
		switch {
		case k == store.AttrVersion:
		case v.DataType() == events.DataTypeString:
			out[k] = v.String()
		case v.DataType() == events.DataTypeNumber:
			out[k] = v.Number()
		}
	}
	return out
}

func testChangeRecords(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	k := store.Key{PK: "ACCOUNT#1", SK: "DEVICE#e0"}
	mustWrite(t, s, store.Put(item(k.PK, k.SK, "name", "desk")))
	mustWrite(t, s, store.Update(k).SetAttr("name", store.S("hall")))
	_ = s.Write(ctxFor(t), store.Put(item(k.PK, k.SK, "name", "lost")).If(store.NotExists())) // fails: no record
	mustWrite(t, s, store.Delete(store.Key{PK: k.PK, SK: "DEVICE#none"}))                     // nothing there: no record
	mustWrite(t, s, store.Delete(k))
	want := []change{
		{Event: store.EventInsert, Key: k.String(), New: map[string]string{"PK": k.PK, "SK": k.SK, "name": "desk"}},
		{Event: store.EventModify, Key: k.String(),
			Old: map[string]string{"PK": k.PK, "SK": k.SK, "name": "desk"},
			New: map[string]string{"PK": k.PK, "SK": k.SK, "name": "hall"}},
		{Event: store.EventRemove, Key: k.String(), Old: map[string]string{"PK": k.PK, "SK": k.SK, "name": "hall"}},
	}
	if got := changes(t, h); !reflect.DeepEqual(got, want) {
		t.Fatalf("change records\n got %+v\nwant %+v", got, want)
	}
}

func testChangeRecordsTransaction(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	a := store.Key{PK: "ACCOUNT#1", SK: "USER#a"}
	b := store.Key{PK: "ACCOUNT#1", SK: "USER#b"}
	mustWrite(t, s, store.Put(item(a.PK, a.SK, "n", 1)))
	mustWrite(t, s, store.Put(item(b.PK, b.SK, "n", 2)), store.Update(a).AddTo("n", 10))
	// A failed transaction leaves no records.
	_ = s.Write(ctxFor(t), store.Delete(a), store.Put(item(b.PK, b.SK)).If(store.NotExists()))
	got := changes(t, h)
	if len(got) != 3 || got[0].Event != store.EventInsert || got[0].Key != a.String() {
		t.Fatalf("records %+v", got)
	}
	// The records of one transaction come in some order; both must be there.
	rest := map[string]change{got[1].Key: got[1], got[2].Key: got[2]}
	if c := rest[b.String()]; c.Event != store.EventInsert || c.New["n"] != "2" {
		t.Fatalf("insert of b: %+v", c)
	}
	if c := rest[a.String()]; c.Event != store.EventModify || c.Old["n"] != "1" || c.New["n"] != "11" {
		t.Fatalf("modify of a: %+v", c)
	}
}
