package fleet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

func nodeItem(t *testing.T, db *embedded.DB, id string) (model.Node, error) {
	t.Helper()
	it, err := db.Get(testCtx(t), model.NodeKey(id))
	if err != nil {
		return model.Node{}, err
	}
	var n model.Node
	if err := store.Unmarshal(it, &n); err != nil {
		t.Fatal(err)
	}
	return n, nil
}

// flag sets the resync flag the way streamsync does.
func flag(t *testing.T, db *embedded.DB, id string) {
	t.Helper()
	op := store.Update(model.NodeKey(id)).SetAttr(model.AttrResync, &types.AttributeValueMemberBOOL{Value: true}).If(store.Exists())
	if err := db.Write(testCtx(t), op); err != nil {
		t.Fatal(err)
	}
}

// TestPresence: the node's item is written at join and refreshed by each
// beat; a resync flag, or the item's disappearance, makes the next beat
// reload the directory (a device written without a push shows up) and
// clears the flag; the item is deleted when the node stops.
func TestPresence(t *testing.T) {
	db := fixture.Open(t)
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"))
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	dir := directory.New(testlog.New(t))
	s := fleet.NewSync(fleet.Directory(dir, db), testlog.New(t))
	p, err := fleet.NewPresence(fleet.PresenceConfig{ID: "i-0abc", SyncAddr: "10.0.0.5:7070", PublicIP: "192.0.2.7",
		Heartbeat: 10 * time.Millisecond, Clock: clock}, db, s, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := nodeItem(t, db, "i-0abc")
	if err != nil {
		t.Fatal(err)
	}
	if n.SyncAddr != "10.0.0.5:7070" || n.PublicIP != "192.0.2.7" || n.Expires != now.Add(90*time.Second).Unix() ||
		n.Started != now.Unix() || n.Resync || n.Type != model.TypeFleetNode {
		t.Fatalf("node item %+v", n)
	}

	// A beat without a flag refreshes the TTL only.
	now = now.Add(30 * time.Second)
	unseen := fixture.Phone(acct, acct+"e0", "w0", realm, "pw")
	fixture.Put(t, db, unseen)
	if err := p.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := nodeItem(t, db, "i-0abc"); n.Expires != now.Add(90*time.Second).Unix() {
		t.Errorf("TTL %d after a beat, want %d", n.Expires, now.Add(90*time.Second).Unix())
	}
	if _, ok := dir.Device(unseen.ID); ok {
		t.Fatal("a beat without a flag reloaded the directory")
	}

	// Flagged: the beat reloads and clears the flag.
	flag(t, db, "i-0abc")
	if err := p.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Device(unseen.ID); !ok {
		t.Error("flagged beat did not reload the directory")
	}
	if n, _ := nodeItem(t, db, "i-0abc"); n.Resync {
		t.Error("resync flag not cleared")
	}

	// Gone: the beat writes the item again and reloads.
	fixture.Delete(t, db, model.NodeKey("i-0abc"))
	second := fixture.Phone(acct, acct+"e1", "w0", realm, "pw")
	fixture.Put(t, db, second)
	if err := p.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := nodeItem(t, db, "i-0abc"); err != nil {
		t.Errorf("item not written again: %v", err)
	}
	if _, ok := dir.Device(second.ID); !ok {
		t.Error("beat after the item vanished did not reload the directory")
	}

	// Run beats until stopped, then deletes the item.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	flag(t, db, "i-0abc")
	third := fixture.Phone(acct, acct+"e2", "w0", realm, "pw")
	fixture.Put(t, db, third)
	deadline := time.Now().Add(5 * time.Second)
	for _, ok := dir.Device(third.ID); !ok && time.Now().Before(deadline); _, ok = dir.Device(third.ID) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, ok := dir.Device(third.ID); !ok {
		t.Error("running presence did not act on the flag")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := nodeItem(t, db, "i-0abc"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("item after stop: %v, want it deleted", err)
	}
}

// TestOutOfOrderPushes: pushes of two shards may cross. The directory
// drops the older one's changes; the Sync notices, and the next beat
// reloads the directory from the table, which holds them. A push that
// arrives twice (a retry) is not taken for a crossing.
func TestOutOfOrderPushes(t *testing.T) {
	db := fixture.Open(t)
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"))
	dir := directory.New(testlog.New(t))
	s := fleet.NewSync(fleet.Directory(dir, db), testlog.New(t))
	p, err := fleet.NewPresence(fleet.PresenceConfig{ID: "i-0abc", SyncAddr: "10.0.0.5:7070"}, db, s, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	newer := fixture.Phone(acct, acct+"e0", "w0", realm, "pw")
	older := fixture.Phone(acct, acct+"e1", "w0", realm, "pw")
	fixture.Put(t, db, newer, older)

	retried := []change.Notification{deviceNote(20, newer, false)}
	for range 2 {
		if err := s.Apply(ctx, retried); err != nil {
			t.Fatal(err)
		}
	}
	if s.Behind() {
		t.Fatal("a retried push taken for a crossing")
	}
	if err := s.Apply(ctx, []change.Notification{deviceNote(10, older, false)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Device(older.ID); ok {
		t.Skip("the directory took the older push; nothing to repair")
	}
	if !s.Behind() {
		t.Fatal("dropped push not noticed")
	}
	if err := p.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Device(older.ID); !ok {
		t.Error("beat did not reload the directory")
	}
	if s.Behind() {
		t.Error("still behind after the reload")
	}
}
