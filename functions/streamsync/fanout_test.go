package streamsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// node is a fleet node's sync endpoint on loopback: a real HTTP server
// that records the pushes it accepts, or answers every push with status
// fail when it is set.
type node struct {
	id    string
	addr  string
	fail  atomic.Int32
	calls atomic.Int32
	mu    sync.Mutex
	got   []streamsync.Push
}

func startNode(t *testing.T, id string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{id: id, addr: ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != model.SyncPath {
			http.Error(w, "wrong request", http.StatusNotFound)
			return
		}
		if code := n.fail.Load(); code != 0 {
			http.Error(w, "failing", int(code))
			return
		}
		var p streamsync.Push
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n.mu.Lock()
		n.got = append(n.got, p)
		n.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return n
}

func (n *node) pushes() []streamsync.Push {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]streamsync.Push(nil), n.got...)
}

// register writes a node's item as a fleet node does at start.
func register(t *testing.T, s store.Store, id, addr string) {
	t.Helper()
	it, err := store.Marshal(model.NewNode(id, addr, "192.0.2.1", time.Now().Unix(), time.Now().Add(90*time.Second).Unix()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx(t), store.Put(it)); err != nil {
		t.Fatal(err)
	}
}

func nodeItem(t *testing.T, s store.Store, id string) model.Node {
	t.Helper()
	it, err := s.Get(ctx(t), model.NodeKey(id))
	if err != nil {
		t.Fatal(err)
	}
	var n model.Node
	if err := store.Unmarshal(it, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFanoutPushesToEveryNode: a batch reaches every live node whole and
// in order; a node that keeps failing is flagged for a resync after its
// retries, the others are not, and the batch does not fail for it.
func TestFanoutPushesToEveryNode(t *testing.T) {
	db := openEmbedded(t)
	scenario(t, db)
	recs, err := db.ReadChanges(ctx(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*node{startNode(t, "i-0a"), startNode(t, "i-0b"), startNode(t, "i-0c")}
	for _, n := range nodes {
		register(t, db, n.id, n.addr)
	}
	nodes[1].fail.Store(http.StatusServiceUnavailable)
	// A node whose item expired is not pushed to.
	stale := startNode(t, "i-0old")
	it, _ := store.Marshal(model.NewNode(stale.id, stale.addr, "", 1, time.Now().Add(-time.Minute).Unix()))
	if err := db.Write(ctx(t), store.Put(it)); err != nil {
		t.Fatal(err)
	}

	sink, err := streamsync.NewFanout(db, streamsync.FanoutConfig{Timeout: time.Second, Backoff: 10 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := streamsync.New(sink, nil)
	resp, err := h.Handle(ctx(t), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v, %v", resp, err)
	}

	want := &recorder{}
	h2, _ := streamsync.New(want, nil)
	if _, err := h2.Handle(ctx(t), events.DynamoDBEvent{Records: recs}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*node{nodes[0], nodes[2]} {
		got := n.pushes()
		if len(got) != 1 {
			t.Fatalf("node %s got %d pushes, want 1", n.id, len(got))
		}
		p := got[0]
		if !reflect.DeepEqual(summary(p.Notifications), summary(want.got)) {
			t.Errorf("node %s got\n %q\nwant %q", n.id, summary(p.Notifications), summary(want.got))
		}
		if p.First != want.got[0].Sequence || p.Last != want.got[len(want.got)-1].Sequence {
			t.Errorf("node %s: first/last %s/%s, want %s/%s", n.id, p.First, p.Last, want.got[0].Sequence, want.got[len(want.got)-1].Sequence)
		}
		if nodeItem(t, db, n.id).Resync {
			t.Errorf("node %s flagged for a resync although it took the batch", n.id)
		}
	}
	if c := nodes[1].calls.Load(); c != 3 {
		t.Errorf("failing node tried %d times, want 3", c)
	}
	if !nodeItem(t, db, nodes[1].id).Resync {
		t.Error("failing node not flagged for a resync")
	}
	if c := stale.calls.Load(); c != 0 {
		t.Errorf("expired node was pushed to %d times", c)
	}

	// While flagged, the node gets no pushes: its reload will hold them.
	nodes[1].fail.Store(0)
	if err := sink.Apply(ctx(t), want.got[:1]); err != nil {
		t.Fatal(err)
	}
	if c := nodes[1].calls.Load(); c != 3 {
		t.Errorf("flagged node pushed to again (%d requests)", c)
	}
	if got := nodes[0].pushes(); len(got) != 2 {
		t.Errorf("healthy node got %d pushes, want 2", len(got))
	}
	// Once it cleared the flag, it takes the next batch at the first attempt.
	clear := store.Update(model.NodeKey(nodes[1].id)).SetAttr(model.AttrResync, &types.AttributeValueMemberBOOL{Value: false})
	if err := db.Write(ctx(t), clear); err != nil {
		t.Fatal(err)
	}
	if err := sink.Apply(ctx(t), want.got[:1]); err != nil {
		t.Fatal(err)
	}
	if got := nodes[1].pushes(); len(got) != 1 || len(got[0].Notifications) != 1 {
		t.Errorf("recovered node got %+v", got)
	}
}

// TestFanoutUnreachableNode: a node whose port is closed, or whose item
// vanished while the batch was pushed, costs the batch nothing.
func TestFanoutUnreachableNode(t *testing.T) {
	db := openEmbedded(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	register(t, db, "i-closed", closed)
	sink, _ := streamsync.NewFanout(db, streamsync.FanoutConfig{Timeout: 500 * time.Millisecond, Attempts: 2, Backoff: time.Millisecond}, nil)
	batch := []change.Notification{{Sequence: "1", Kind: change.KindAccount, Account: "1", ID: "1", AccountItem: &model.Account{ID: "1"}}}
	if err := sink.Apply(ctx(t), batch); err != nil {
		t.Fatal(err)
	}
	if !nodeItem(t, db, "i-closed").Resync {
		t.Error("unreachable node not flagged")
	}

	// The node's item is gone by the time the flag is written: the flag
	// must not create an item (streamsync would push to it forever).
	gone := startNode(t, "i-gone")
	gone.fail.Store(http.StatusInternalServerError)
	register(t, db, gone.id, gone.addr)
	deleting := &deleteOnQuery{Store: db, key: model.NodeKey(gone.id)}
	sink, _ = streamsync.NewFanout(deleting, streamsync.FanoutConfig{Attempts: 1}, nil)
	if err := sink.Apply(ctx(t), batch); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx(t), model.NodeKey(gone.id)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("flagging a vanished node: item %v", err)
	}
}

// deleteOnQuery deletes one item right after each listing, as a node
// stopping at that moment would.
type deleteOnQuery struct {
	store.Store
	key store.Key
}

func (d *deleteOnQuery) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := d.Store.Query(ctx, q)
	if err == nil {
		err = d.Store.Write(ctx, store.Delete(d.key))
	}
	return p, err
}

// TestFanoutTableDown: when the nodes cannot be listed, the batch fails so
// that the stream retries it.
func TestFanoutTableDown(t *testing.T) {
	db := openEmbedded(t)
	scenario(t, db)
	recs, err := db.ReadChanges(ctx(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sink, _ := streamsync.NewFanout(db, streamsync.FanoutConfig{}, nil)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Apply(ctx(t), []change.Notification{{Sequence: "1"}}); err == nil {
		t.Fatal("apply with the table closed: no error")
	}
	h, _ := streamsync.New(sink, nil)
	resp, err := h.Handle(ctx(t), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != recs[0].Change.SequenceNumber {
		t.Fatalf("handle with the table closed: %+v, %v", resp, err)
	}
}

// TestFanoutSplitsLargeBatches: a batch larger than one push goes to a
// node as several pushes, in order, none of them missing a notification.
func TestFanoutSplitsLargeBatches(t *testing.T) {
	db := openEmbedded(t)
	n := startNode(t, "i-big")
	register(t, db, n.id, n.addr)
	batch := make([]change.Notification, 1201)
	for i := range batch {
		batch[i] = change.Notification{Sequence: fmt.Sprintf("%08d", i+1), Kind: change.KindAccount, Account: "1", ID: "1",
			AccountItem: &model.Account{ID: "1"}}
	}
	sink, _ := streamsync.NewFanout(db, streamsync.FanoutConfig{}, nil)
	if err := sink.Apply(ctx(t), batch); err != nil {
		t.Fatal(err)
	}
	got := n.pushes()
	if len(got) < 2 {
		t.Fatalf("%d pushes, want the batch split", len(got))
	}
	var seqs []string
	for _, p := range got {
		if p.First != p.Notifications[0].Sequence || p.Last != p.Notifications[len(p.Notifications)-1].Sequence {
			t.Errorf("push %s-%s carries %s-%s", p.First, p.Last, p.Notifications[0].Sequence, p.Notifications[len(p.Notifications)-1].Sequence)
		}
		for _, x := range p.Notifications {
			seqs = append(seqs, x.Sequence)
		}
	}
	if len(seqs) != len(batch) {
		t.Fatalf("%d notifications arrived, want %d", len(seqs), len(batch))
	}
	for i, s := range seqs {
		if s != batch[i].Sequence {
			t.Fatalf("notification %d is %s, want %s", i, s, batch[i].Sequence)
		}
	}
}
