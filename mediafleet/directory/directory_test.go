package directory_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const realm = "switchboard.test"

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// smallPages serves the real store with pages of two items, so that a
// snapshot of a few entities already crosses many page boundaries.
type smallPages struct{ db *embedded.DB }

func (s smallPages) Query(ctx context.Context, q store.Query) (store.Page, error) {
	q.Limit = 2
	return s.db.Query(ctx, q)
}

// notifications reads the change log after seq and decodes the records
// the fleet follows, as streamsync does.
func notifications(t *testing.T, db *embedded.DB, after uint64) []change.Notification {
	t.Helper()
	recs, err := db.ReadChanges(ctx(t), after, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []change.Notification
	for _, rec := range recs {
		n, ok, err := change.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
}

func lastSeq(t *testing.T, db *embedded.DB) uint64 {
	t.Helper()
	seq, err := db.LastSequence()
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// seed writes two accounts with users, phones, a group and numbers.
func seed(t *testing.T, db *embedded.DB) {
	t.Helper()
	var ents []any
	for _, acct := range []string{"1000001", "1000002"} {
		ents = append(ents,
			fixture.Account(acct),
			fixture.User(acct, "w0", "10"),
			fixture.User(acct, "w1", "11"),
			fixture.Phone(acct, acct+"e0", "w0", realm, "pw-"+acct+"e0"),
			fixture.Phone(acct, acct+"e1", "w0", realm, "pw-"+acct+"e1"),
			fixture.Phone(acct, acct+"e2", "w1", realm, "pw-"+acct+"e2"),
			fixture.Group(acct, "g0", "20", "w0", "w1"),
			fixture.Number(acct, "+49180"+acct, model.RouteGroup, "g0"),
		)
	}
	fixture.Put(t, db, ents...)
}

func TestLoad(t *testing.T) {
	db := fixture.Open(t)
	seed(t, db)
	// Items the directory does not follow share the partition.
	if err := db.Write(ctx(t), store.Put(store.Item{
		store.AttrPK: store.S(model.AccountPK("1000001")), store.AttrSK: store.S("AUDIT#1"), model.AttrType: store.S(model.TypeAudit),
	})); err != nil {
		t.Fatal(err)
	}

	d := directory.New(testlog.New(t))
	if err := d.Load(ctx(t), smallPages{db}); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Counts(), (directory.Counts{Accounts: 2, Users: 4, Devices: 6, Groups: 2, Numbers: 2}); got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
	dev, ok := d.Device("1000002e1")
	if !ok {
		t.Fatal("device 1000002e1 missing")
	}
	want := fixture.HA1(sha256.New, "1000002e1", realm, "pw-1000002e1")
	if dev.HA1SHA256 != want || dev.Owner != "w0" || dev.Account != "1000002" || !dev.Enabled || dev.Kind != model.DevicePhone {
		t.Errorf("device = %+v", dev)
	}
	tests := []struct {
		account, ext string
		want         directory.Target
	}{
		{"1000001", "10", directory.Target{Kind: model.TypeUser, ID: "w0"}},
		{"1000001", "11", directory.Target{Kind: model.TypeUser, ID: "w1"}},
		{"1000002", "20", directory.Target{Kind: model.TypeGroup, ID: "g0"}},
	}
	for _, tt := range tests {
		if got, ok := d.Extension(tt.account, tt.ext); !ok || got != tt.want {
			t.Errorf("extension %s/%s = %+v, %v; want %+v", tt.account, tt.ext, got, ok, tt.want)
		}
	}
	if got := d.Extensions("1000001"); !reflect.DeepEqual(got, []string{"10", "11", "20"}) {
		t.Errorf("extensions = %q", got)
	}
	if got := ids(d.Devices("1000001", "w0")); !reflect.DeepEqual(got, []string{"1000001e0", "1000001e1"}) {
		t.Errorf("devices of w0 = %q", got)
	}
	if n, ok := d.Number("+491801000002"); !ok || n.Route != model.RouteGroup || n.Target != "g0" || n.Account != "1000002" {
		t.Errorf("number = %+v, %v", n, ok)
	}
}

func ids(devs []*directory.Device) []string {
	out := make([]string, len(devs))
	for i, d := range devs {
		out[i] = d.ID
	}
	return out
}

// view renders what the directory holds for the seeded accounts, to
// compare a directory kept by notifications with a fresh snapshot.
func view(d *directory.Directory) string {
	s := fmt.Sprintf("%+v\n", d.Counts())
	for _, acct := range []string{"1000001", "1000002", "1000003"} {
		if a, ok := d.Account(acct); ok {
			s += fmt.Sprintf("account %+v\n", *a)
		}
		for _, u := range []string{"w0", "w1", "w2"} {
			if x, ok := d.User(acct, u); ok {
				s += fmt.Sprintf("user %+v devices %q\n", *x, ids(d.Devices(acct, u)))
			}
		}
		for i := range 4 {
			if x, ok := d.Device(fmt.Sprintf("%se%d", acct, i)); ok {
				s += fmt.Sprintf("device %+v\n", *x)
			}
		}
		if g, ok := d.Group(acct, "g0"); ok {
			s += fmt.Sprintf("group %+v\n", *g)
		}
		if n, ok := d.Number("+49180" + acct); ok {
			s += fmt.Sprintf("number %+v\n", *n)
		}
		s += fmt.Sprintf("extensions %q\n", d.Extensions(acct))
	}
	return s
}

// TestSnapshotThenNotifications follows the local stack's order: note the
// change log's position, change the table while the snapshot is read (here:
// before and after it), then apply every notification after the position.
// The result must equal a fresh snapshot of the final table.
func TestSnapshotThenNotifications(t *testing.T) {
	db := fixture.Open(t)
	seed(t, db)
	from := lastSeq(t, db)

	// Changes the snapshot will already hold.
	u := fixture.User("1000001", "w0", "12")
	fixture.Put(t, db, u)
	phone := fixture.Phone("1000001", "1000001e1", "w0", realm, "pw-1000001e1")
	phone.Enabled = false
	fixture.Put(t, db, phone)

	d := directory.New(testlog.New(t))
	if err := d.Load(ctx(t), db); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Device("1000001e1"); got.Enabled {
		t.Fatal("snapshot shows the phone enabled")
	}

	// Changes after the snapshot.
	u.Locked = true
	fixture.Put(t, db, u)
	fixture.Put(t, db, fixture.Account("1000003"), fixture.User("1000003", "w0", "10"),
		fixture.Phone("1000003", "1000003e0", "w0", realm, "pw"))
	moved := fixture.Phone("1000002", "1000002e2", "w0", realm, "new password")
	fixture.Put(t, db, moved)
	g := fixture.Group("1000002", "g0", "21", "w0")
	fixture.Put(t, db, g)
	fixture.Delete(t, db, model.DeviceKey("1000001", "1000001e0"), model.NumberKey("1000001", "+491801000001"))
	fixture.Delete(t, db, model.UserKey("1000002", "w1"))

	batch := notifications(t, db, from)
	// Apply in a few batches, as the stream delivers them.
	for i := 0; i < len(batch); i += 3 {
		if err := d.Apply(ctx(t), batch[i:min(i+3, len(batch))]); err != nil {
			t.Fatal(err)
		}
	}

	fresh := directory.New(testlog.New(t))
	if err := fresh.Load(ctx(t), db); err != nil {
		t.Fatal(err)
	}
	if got, want := view(d), view(fresh); got != want {
		t.Errorf("directory after notifications differs from a fresh snapshot\n got:\n%s\nwant:\n%s", got, want)
	}
	if c, ok := d.Credentials("1000001e1"); !ok || !c.Locked || c.Device.Enabled {
		t.Errorf("credentials of a disabled phone of a locked user = %+v, %v", c, ok)
	}
	if _, ok := d.Extension("1000001", "10"); ok {
		t.Error("extension 10 still held after the user moved to 12")
	}
	if got, ok := d.Extension("1000002", "21"); !ok || got.ID != "g0" {
		t.Errorf("extension 21 = %+v, %v", got, ok)
	}
	if got := ids(d.Devices("1000002", "w0")); !reflect.DeepEqual(got, []string{"1000002e0", "1000002e1", "1000002e2"}) {
		t.Errorf("devices of w0 after the move = %q", got)
	}
	if got := ids(d.Devices("1000002", "w1")); len(got) != 0 {
		t.Errorf("devices of w1 after the move = %q", got)
	}
}

func TestApplyIgnoresDuplicatesAndOldVersions(t *testing.T) {
	db := fixture.Open(t)
	seed(t, db)
	d := directory.New(testlog.New(t))
	if err := d.Load(ctx(t), db); err != nil {
		t.Fatal(err)
	}
	from := lastSeq(t, db)
	phone := fixture.Phone("1000001", "1000001e0", "w0", realm, "pw-1000001e0")
	fixture.Put(t, db, phone) // version 2
	first := notifications(t, db, from)
	mid := lastSeq(t, db)
	phone.Enabled = false
	fixture.Put(t, db, phone) // version 3
	second := notifications(t, db, mid)

	apply := func(batch []change.Notification) {
		t.Helper()
		if err := d.Apply(ctx(t), batch); err != nil {
			t.Fatal(err)
		}
	}
	apply(first)
	apply(second)
	want := view(d)

	t.Run("duplicate batch", func(t *testing.T) {
		apply(second)
		if got := view(d); got != want {
			t.Errorf("changed by a duplicate:\n%s", got)
		}
	})
	t.Run("older batch after a newer one", func(t *testing.T) {
		apply(first)
		if got, _ := d.Device("1000001e0"); got.Enabled || got.Version != 3 {
			t.Errorf("device = %+v, want disabled at version 3", got)
		}
	})
	t.Run("older version with a new sequence", func(t *testing.T) {
		// After a reload the sequence check starts afresh; the version
		// check still refuses what the snapshot already has.
		if err := d.Load(ctx(t), db); err != nil {
			t.Fatal(err)
		}
		apply(first)
		if got, _ := d.Device("1000001e0"); got.Enabled || got.Version != 3 {
			t.Errorf("device = %+v, want disabled at version 3", got)
		}
	})
}

func TestLookupAllocatesNothing(t *testing.T) {
	db := fixture.Open(t)
	seed(t, db)
	d := directory.New(testlog.New(t))
	if err := d.Load(ctx(t), db); err != nil {
		t.Fatal(err)
	}
	id := string([]byte("1000002e2")) // not a constant, like a parsed header
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := d.Credentials(id); !ok {
			t.Fatal("missing")
		}
		if _, ok := d.Device(id); !ok {
			t.Fatal("missing")
		}
	})
	if allocs != 0 {
		t.Errorf("device lookup allocates %v times", allocs)
	}
}

// TestConcurrentReads runs readers against Apply and Load; go test -race
// checks them.
func TestConcurrentReads(t *testing.T) {
	db := fixture.Open(t)
	seed(t, db)
	d := directory.New(testlog.New(t))
	if err := d.Load(ctx(t), db); err != nil {
		t.Fatal(err)
	}
	from := lastSeq(t, db)
	for i := range 5 {
		p := fixture.Phone("1000001", "1000001e0", "w0", realm, fmt.Sprint("pw", i))
		fixture.Put(t, db, p)
	}
	batch := notifications(t, db, from)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c, ok := d.Credentials("1000001e0"); ok && c.Device.HA1MD5 == "" {
					t.Error("device without digest")
				}
				d.Devices("1000001", "w0")
			}
		}()
	}
	for i := range batch {
		if err := d.Apply(ctx(t), batch[i:i+1]); err != nil {
			t.Error(err)
		}
	}
	if err := d.Load(ctx(t), db); err != nil {
		t.Error(err)
	}
	close(stop)
	wg.Wait()
}
