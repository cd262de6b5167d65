package embedded_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
	"github.com/switchboard/switchboard/shared/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func put(pk, sk string, kv ...string) store.Op {
	it := store.Item{store.AttrPK: store.S(pk), store.AttrSK: store.S(sk)}
	for i := 0; i+1 < len(kv); i += 2 {
		it[kv[i]] = store.S(kv[i+1])
	}
	return store.Put(it)
}

func TestReopenKeepsItemsAndLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "table.db")
	db, err := embedded.Open(embedded.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx(t), put("A", "1", "x", "y")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = embedded.Open(embedded.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Get(ctx(t), store.Key{PK: "A", SK: "1"}); err != nil {
		t.Fatalf("item lost on reopen: %v", err)
	}
	seq, err := db.LastSequence()
	if err != nil || seq != 1 {
		t.Fatalf("last sequence %d, %v; want 1", seq, err)
	}
	if err := db.Write(ctx(t), put("A", "2")); err != nil {
		t.Fatal(err)
	}
	recs, err := db.ReadChanges(ctx(t), 1, 10)
	if err != nil || len(recs) != 1 || recs[0].Change.SequenceNumber != "000000000000000000002" {
		t.Fatalf("records after reopen: %+v, %v", recs, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "table.db")
	db, err := embedded.Open(embedded.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// bbolt locks with flock, which also excludes a second open in the
	// same process.
	if _, err := embedded.Open(embedded.Config{Path: path}); !errors.Is(err, embedded.ErrLocked) {
		t.Fatalf("second open: want ErrLocked, got %v", err)
	}
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Open(embedded.Config{Path: corrupt}); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Fatalf("corrupt file: want an error naming the file, got %v", err)
	}
	if _, err := embedded.Open(embedded.Config{}); err == nil {
		t.Fatal("open without a path succeeded")
	}
}

func TestSubscribe(t *testing.T) {
	db := open(t, nil)
	if err := db.Write(ctx(t), put("A", "1")); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx(t))
	var mu sync.Mutex
	var got []string
	done := make(chan error, 1)
	go func() {
		done <- db.Subscribe(c, 0, 2, func(_ context.Context, recs []events.DynamoDBEventRecord) error {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range recs {
				got = append(got, r.EventName+" "+r.Change.Keys["SK"].String())
			}
			return nil
		})
	}()
	// Records written after the subscriber started reach it too.
	for _, op := range []store.Op{put("A", "2"), put("A", "3"), store.Delete(store.Key{PK: "A", SK: "1"})} {
		if err := db.Write(ctx(t), op); err != nil {
			t.Fatal(err)
		}
	}
	want := "INSERT 1,INSERT 2,INSERT 3,REMOVE 1"
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		s := strings.Join(got, ",")
		mu.Unlock()
		if s == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriber saw %q, want %q", s, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("subscribe ended with %v", err)
	}
}

func TestSubscribeEndsOnClose(t *testing.T) {
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- db.Subscribe(ctx(t), 0, 10, func(context.Context, []events.DynamoDBEventRecord) error { return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	_ = db.Close()
	select {
	case err := <-done:
		if !errors.Is(err, embedded.ErrClosed) && err != nil {
			t.Fatalf("subscribe ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber still running after Close")
	}
}

func TestSweepExpiresAndTrims(t *testing.T) {
	clock := storetest.NewClock()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := embedded.Open(embedded.Config{Path: path, Clock: clock.Now, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exp := store.Put(store.Item{store.AttrPK: store.S("A"), store.AttrSK: store.S("B"),
		store.AttrTTL: store.N(clock.Now().Unix() + 30), "GSI1PK": store.S("DEV#1"), "GSI1SK": store.S("x")})
	if err := db.Write(ctx(t), exp, put("A", "keep")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second)
	if err := db.Sweep(ctx(t)); err != nil {
		t.Fatal(err)
	}
	recs, err := db.ReadChanges(ctx(t), 0, 10)
	if err != nil || len(recs) != 3 {
		t.Fatalf("records %d, %v; want 3", len(recs), err)
	}
	last := recs[2]
	if last.EventName != store.EventRemove || last.UserIdentity == nil || last.UserIdentity.PrincipalID != "dynamodb.amazonaws.com" {
		t.Fatalf("expiry record %+v", last)
	}
	// The index entry went with the item.
	p, err := db.Query(ctx(t), store.Query{Index: "GSI1", PK: "DEV#1"})
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("index after expiry: %v, %v", p.Items, err)
	}
	// Records older than the retention are trimmed; a reader behind the
	// trim point learns of its gap.
	clock.Advance(2 * time.Hour)
	if err := db.Write(ctx(t), put("A", "new")); err != nil {
		t.Fatal(err)
	}
	if err := db.Sweep(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReadChanges(ctx(t), 0, 10); !errors.Is(err, embedded.ErrTrimmed) {
		t.Fatalf("reading trimmed records: want ErrTrimmed, got %v", err)
	}
	recs, err = db.ReadChanges(ctx(t), 3, 10)
	if err != nil || len(recs) != 1 || recs[0].Change.Keys["SK"].String() != "new" {
		t.Fatalf("records after trim point: %+v, %v", recs, err)
	}
}

func TestConcurrentWritersConflict(t *testing.T) {
	// Many writers race for one guard item: exactly one wins and the
	// counter agrees with the number of successful writes.
	db := open(t, nil)
	const writers = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(context.Background(),
				put("EXT", "10").If(store.NotExists()),
				store.Update(store.Key{PK: "A", SK: "COUNT"}).AddTo("n", 1))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("wins %d conflicts %d", wins, conflicts)
	}
	it, err := db.Get(ctx(t), store.Key{PK: "A", SK: "COUNT"})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := store.Int(it, "n"); n != 1 {
		t.Fatalf("counter %d, want 1", n)
	}
}
