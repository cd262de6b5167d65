package fleet_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

const (
	acct  = "7654321"
	realm = "sip.test"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// seq numbers notifications the way the stream does.
func seq(n int) string { return fmt.Sprintf("%021d", n) }

// deviceNote is a notification that device (as it is now) was written or
// removed.
func deviceNote(n int, d *model.Device, removed bool) change.Notification {
	c := *d
	return change.Notification{Sequence: seq(n), Kind: change.KindDevice, Removed: removed, Account: d.Account, ID: d.ID, Device: &c}
}

// gated is a store whose first query waits until the test releases it,
// so that pushes can arrive while a snapshot is being read.
type gated struct {
	directory.Reader
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gated) Query(ctx context.Context, q store.Query) (store.Page, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Reader.Query(ctx, q)
}

// TestSyncHoldsPushesDuringReload: a push that arrives while the snapshot
// is read is not applied to the view the snapshot replaces; it is applied
// after it, so the directory ends with both.
func TestSyncHoldsPushesDuringReload(t *testing.T) {
	db := fixture.Open(t)
	old := fixture.Phone(acct, acct+"e0", "w0", realm, "secret-0")
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"), old)
	dir := directory.New(testlog.New(t))
	g := &gated{Reader: db, entered: make(chan struct{}), release: make(chan struct{})}
	s := fleet.NewSync(fleet.Directory(dir, g), testlog.New(t))

	// Before the first reload every push is held.
	early := fixture.Phone(acct, acct+"e1", "w0", realm, "secret-1")
	early.Version = 1
	if err := s.Apply(testCtx(t), []change.Notification{deviceNote(1, early, false)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Device(early.ID); ok {
		t.Fatal("push applied before the first snapshot")
	}

	done := make(chan error, 1)
	go func() { done <- s.Reload(testCtx(t)) }()
	<-g.entered
	late := fixture.Phone(acct, acct+"e2", "w0", realm, "secret-2")
	late.Version = 1
	if err := s.Apply(testCtx(t), []change.Notification{deviceNote(2, late, false)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Device(late.ID); ok {
		t.Fatal("push applied while the snapshot was read")
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{old.ID, early.ID, late.ID} {
		if _, ok := dir.Device(id); !ok {
			t.Errorf("device %s missing after the reload", id)
		}
	}

	// After the reload pushes apply at once.
	next := fixture.Phone(acct, acct+"e3", "w0", realm, "secret-3")
	next.Version = 1
	if err := s.Apply(testCtx(t), []change.Notification{deviceNote(3, next, false)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Device(next.ID); !ok {
		t.Error("push after the reload not applied")
	}
}

// TestReplayOverSnapshot: the pushes held during a snapshot may carry
// changes the snapshot already holds. Replaying them, in order, over the
// snapshot ends in the table's state, and applying them once more changes
// nothing: a device updated, a device deleted and created anew, a device
// deleted for good.
func TestReplayOverSnapshot(t *testing.T) {
	db := fixture.Open(t)
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"))
	var notes []change.Notification
	record := func(d *model.Device, removed bool) {
		notes = append(notes, deviceNote(len(notes)+1, d, removed))
	}

	updated := fixture.Phone(acct, acct+"e0", "w0", realm, "pw")
	fixture.Put(t, db, updated)
	record(updated, false)
	updated.Enabled = false
	fixture.Put(t, db, updated)
	record(updated, false)

	recreated := fixture.Phone(acct, acct+"e1", "w0", realm, "pw")
	fixture.Put(t, db, recreated)
	record(recreated, false)
	recreated.Name = "old"
	fixture.Put(t, db, recreated)
	record(recreated, false)
	fixture.Delete(t, db, model.DeviceKey(acct, recreated.ID))
	record(recreated, true)
	recreated = fixture.Phone(acct, acct+"e1", "w0", realm, "pw")
	recreated.Name = "new"
	fixture.Put(t, db, recreated)
	record(recreated, false)

	gone := fixture.Phone(acct, acct+"e2", "w0", realm, "pw")
	fixture.Put(t, db, gone)
	record(gone, false)
	fixture.Delete(t, db, model.DeviceKey(acct, gone.ID))
	record(gone, true)

	check := func(step string, dir *directory.Directory) {
		t.Helper()
		if d, ok := dir.Device(updated.ID); !ok || d.Enabled || d.Version != 2 {
			t.Errorf("%s: updated device %+v %v, want disabled at version 2", step, d, ok)
		}
		if d, ok := dir.Device(recreated.ID); !ok || d.Name != "new" || d.Version != 1 {
			t.Errorf("%s: recreated device %+v %v, want the new one", step, d, ok)
		}
		if d, ok := dir.Device(gone.ID); ok {
			t.Errorf("%s: deleted device still there: %+v", step, d)
		}
		if c := dir.Counts(); c.Devices != 2 {
			t.Errorf("%s: %d devices, want 2", step, c.Devices)
		}
	}
	for _, split := range []int{0, 3, 5, len(notes)} {
		t.Run(fmt.Sprintf("snapshot_then_%d_notes_twice", len(notes)-split), func(t *testing.T) {
			dir := directory.New(testlog.New(t))
			s := fleet.NewSync(fleet.Directory(dir, db), testlog.New(t))
			// The first notes were pushed before the node listed itself;
			// the rest arrive during the snapshot, in pushes of two.
			for i := split; i < len(notes); i += 2 {
				if err := s.Apply(testCtx(t), notes[i:min(i+2, len(notes))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Reload(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			check("after the replay", dir)
			if err := s.Apply(testCtx(t), notes); err != nil {
				t.Fatal(err)
			}
			check("after applying all again", dir)
		})
	}
}
