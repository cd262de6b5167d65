package webhook

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
)

// feed publishes evs through an in-process publisher into the queue, as
// the local stack does, and returns once every one is queued.
func (e *env) feed(evs ...events.Event) {
	e.t.Helper()
	pub := events.NewLocal()
	sub := pub.Subscribe(16)
	done := make(chan error, 1)
	go func() { done <- e.q.Feed(e.ctx, sub, e.d) }()
	for _, ev := range evs {
		if err := pub.Publish(e.ctx, ev); err != nil {
			e.t.Fatal(err)
		}
	}
	pub.Close()
	if err := <-done; err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) worker() *Worker {
	return &Worker{Queue: e.q, Send: e.d, Retry: DefaultRetry, Batch: 16, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// drain runs passes until one finds nothing due, and returns how many
// jobs were tried.
func (e *env) drain(w *Worker) int {
	e.t.Helper()
	total := 0
	for i := 0; i < 100; i++ {
		n, err := w.Process(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	e.t.Fatal("the queue never ran dry")
	return total
}

// TestConsumerDown: 100 hangups while the consumer answers 500, then it
// recovers. Time moves on the test clock. Every event arrives, each
// exactly once once deduplicated by its event id, none is dead-lettered.
func TestConsumerDown(t *testing.T) {
	e := newEnv(t, Config{})
	crm := newConsumer(t)
	crm.setStatus(func(received) int { return http.StatusInternalServerError })
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: crm.URL, Events: []string{"hangup"}}})
	var evs []events.Event
	for i := range 100 {
		ev := e.event(fmt.Sprintf("ev%03d", i), events.Hangup, "+492111234567")
		ev.Call.ID = fmt.Sprintf("call%03d", i)
		evs = append(evs, ev)
	}
	e.feed(evs...)
	w := e.worker()
	if n := e.drain(w); n != 100 {
		t.Fatalf("first pass tried %d, want 100", n)
	}
	if n := e.drain(w); n != 0 {
		t.Fatalf("retried %d before their backoff", n)
	}
	for range 3 { // three more failed rounds, an hour apart
		e.clock.Add(time.Hour)
		if n := e.drain(w); n != 100 {
			t.Fatalf("an hour later %d were tried, want 100", n)
		}
	}
	crm.setStatus(func(received) int { return http.StatusOK })
	failed := len(crm.requests())
	e.clock.Add(2 * time.Hour)
	if n := e.drain(w); n != 100 {
		t.Fatalf("after recovery %d were tried, want 100", n)
	}
	e.clock.Add(48 * time.Hour)
	if n := e.drain(w); n != 0 {
		t.Fatalf("%d still queued after every delivery succeeded", n)
	}
	// What the consumer took, deduplicated by event id as consumers do:
	// every event exactly once, each after its four failed attempts.
	all := crm.requests()
	attempts, took := map[string]int{}, map[string]int{}
	for i, r := range all {
		id := r.header.Get(HeaderEventID)
		attempts[id]++
		if i >= failed {
			took[id]++
		}
		if r.form.Get("event") != "hangup" || r.form.Get("callId") != "call"+strings.TrimPrefix(id, "ev") {
			t.Fatalf("event %s sent as %s", id, r.body)
		}
	}
	for _, ev := range evs {
		if attempts[ev.ID] != 5 || took[ev.ID] != 1 {
			t.Errorf("event %s: %d attempts, %d taken; want 5 and 1", ev.ID, attempts[ev.ID], took[ev.ID])
		}
	}
	if len(took) != 100 || len(attempts) != 100 {
		t.Fatalf("%d distinct events taken of %d sent, want 100", len(took), len(attempts))
	}
	if dead, err := e.q.DeadLetters(e.ctx, 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v, %v", dead, err)
	}
}

// TestDeadLetter: an event its consumer never takes is retried for a day,
// with growing delays, then dead-lettered and logged.
func TestDeadLetter(t *testing.T) {
	e := newEnv(t, Config{})
	crm := newConsumer(t)
	crm.setStatus(func(received) int { return http.StatusBadGateway })
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: crm.URL, Events: []string{"answer"}}})
	e.feed(e.event("ev1", events.Answer, "+492111234567"))
	w := e.worker()
	start := e.clock.Now()
	for i := 0; i < 200 && e.clock.Now().Sub(start) < 26*time.Hour; i++ {
		e.drain(w)
		e.clock.Add(10 * time.Minute)
	}
	dead, err := e.q.DeadLetters(e.ctx, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %v, %v", dead, err)
	}
	d := dead[0]
	if d.Event.ID != "ev1" || !strings.Contains(d.LastError, "502") || d.Attempts < 20 {
		t.Fatalf("dead letter %+v", d)
	}
	n := len(crm.requests())
	if n != d.Attempts {
		t.Fatalf("%d requests for %d attempts", n, d.Attempts)
	}
	log, _, err := e.d.Deliveries(e.ctx, e.admin, "", 200)
	if err != nil || len(log) != n || log[0].Attempt != n {
		t.Fatalf("log of %d entries (newest attempt %d), want %d: %v", len(log), log[0].Attempt, n, err)
	}
}

// TestHangingConsumerQueue: one consumer that never answers holds a pass
// no longer than the timeout; the other URL's events are delivered in
// the same pass, and the hanging one's are retried later.
func TestHangingConsumerQueue(t *testing.T) {
	e := newEnv(t, Config{Timeout: 100 * time.Millisecond})
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	crm := newConsumer(t)
	e.settings(account.WebhookSettings{
		Incoming: &account.Hook{URL: hang.URL, Events: []string{"hangup"}},
		Outgoing: &account.Hook{URL: crm.URL, Events: []string{"hangup"}},
	})
	in := e.event("in1", events.Hangup, "+492111234567")
	out := e.event("out1", events.Hangup, "+4930123456")
	out.Call.Direction = "out"
	e.feed(in, out)
	w := e.worker()
	if n := e.drain(w); n != 2 {
		t.Fatalf("tried %d", n)
	}
	if got := crm.requests(); len(got) != 1 || got[0].header.Get(HeaderEventID) != "out1" {
		t.Fatalf("the healthy consumer got %d requests", len(got))
	}
	log, _, err := e.d.Deliveries(e.ctx, e.admin, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var timedOut bool
	for _, l := range log {
		timedOut = timedOut || l.EventID == "in1" && strings.Contains(l.Error, "timed out")
	}
	if !timedOut {
		t.Fatalf("no timed-out attempt in the log: %+v", log)
	}
	e.clock.Add(time.Hour)
	if n := e.drain(w); n != 1 {
		t.Fatalf("an hour later %d were tried, want the hanging one", n)
	}
}

// TestPartialFailure: of two URLs, the one that took the event is not
// sent it again while the other is retried.
func TestPartialFailure(t *testing.T) {
	e := newEnv(t, Config{})
	good, flaky := newConsumer(t), newConsumer(t)
	flaky.setStatus(func(received) int { return http.StatusInternalServerError })
	e.settings(account.WebhookSettings{
		Incoming:  &account.Hook{URL: good.URL, Events: []string{"answer"}},
		Overrides: []account.Override{{UserID: "w0", Incoming: &account.UserHook{URL: flaky.URL, Events: []string{"answer"}}}},
	})
	ev := e.event("ev1", events.Answer, "+492111234567")
	ev.Call.Users = append(ev.Call.Users, e.account+"w9") // a user without an override: the account URL
	if err := e.d.Deliver(e.ctx, ev, 1); err == nil {
		t.Fatal("a failed URL did not fail the delivery")
	}
	flaky.setStatus(func(received) int { return http.StatusOK })
	if err := e.d.Deliver(e.ctx, ev, 2); err != nil {
		t.Fatal(err)
	}
	if g, f := len(good.requests()), len(flaky.requests()); g != 1 || f != 2 {
		t.Fatalf("good got %d, flaky %d; want 1 and 2", g, f)
	}
}

// TestWorkerStops: Run returns when its context ends.
func TestWorkerStops(t *testing.T) {
	e := newEnv(t, Config{})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.worker().Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRetrySchedule(t *testing.T) {
	r := DefaultRetry
	prev := time.Duration(0)
	for n := 1; n <= 12; n++ {
		d := r.Delay(n)
		c := r.ceiling(n)
		if d < c/2 || d > c || c < prev || c > r.Max {
			t.Fatalf("attempt %d: delay %v outside [%v, %v]", n, d, c/2, c)
		}
		prev = c
	}
	var least time.Duration
	n := r.Attempts()
	for i := 1; i < n; i++ {
		least += r.ceiling(i) / 2
	}
	if least < r.MaxAge {
		t.Fatalf("%d attempts span at least %v, less than %v", n, least, r.MaxAge)
	}
}
