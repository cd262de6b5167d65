package webhooks

import (
	"bytes"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// downCalls is how many calls the consumer misses.
const downCalls = 100

// retryWait bounds the wait for the retries after the consumer is back.
// The stack runs with a first retry delay of a second (-webhook-retry),
// doubled per attempt: an event that failed for the ten seconds or so the
// consumer is down is tried again within 16 s of its return.
const retryWait = 60 * time.Second

// TestConsumerDown: 100 calls from the trunk to Anna's number, answered
// and hung up, while the consumer answers 500 to everything; then it
// recovers. Every call's answer and hangup arrive, each once after
// deduplication by the event id: retries keep the id and the body, and an
// event the consumer took is not sent again.
func TestConsumerDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{events: allEvents, args: []string{"-webhook-retry", "1s"}})
	defer e.failLog(t)
	anna := e.users[0]
	var down atomic.Bool
	down.Store(true)
	e.hooks.respond(func(h hook) reply {
		if down.Load() {
			return reply{Status: http.StatusInternalServerError, Body: "down"}
		}
		return reply{}
	})
	prefix := e.caller()
	n := strconv.Itoa(downCalls)
	phone := e.phone(t, anna, "uas.xml", "-m", n).start(t)
	start := time.Now()
	if !e.trunkCall(t, "trunk_call.xml", prefix, digits(anna.Number), 0, "-m", n, "-r", "25", "-l", n).run(t) || !phone.wait(t) {
		t.FailNow()
	}
	// The consumer stays down until every event has failed at least once.
	queued := and(path("/in"), func(h hook) bool { return h.event() == "answer" || h.event() == "hangup" })
	calls := time.Since(start)
	failed := 0
	for deadline := time.Now().Add(hookWait); time.Now().Before(deadline) && failed < 2*downCalls; time.Sleep(50 * time.Millisecond) {
		ids := map[string]bool{}
		for _, h := range e.hooks.all(queued) {
			ids[h.EventID] = true
		}
		failed = len(ids)
	}
	down.Store(false)
	t.Logf("%d calls in %s; %d answer and hangup events failed, the consumer is back after %s", downCalls, calls.Round(time.Millisecond),
		failed, time.Since(start).Round(time.Millisecond))
	if failed < 2*downCalls {
		t.Fatalf("%d answer and hangup events tried while the consumer was down, want %d", failed, 2*downCalls)
	}
	ok := func(h hook) bool { return h.Status == http.StatusOK }
	back := time.Now()
	accepted := e.hooks.wait(2*downCalls, retryWait, and(queued, ok))
	t.Logf("%d events taken within %s of the consumer's return", len(accepted), time.Since(back).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // for a resend of an event taken, which must not come

	// Deduplicate by event id, as a consumer does.
	type seen struct {
		body     []byte
		event    string
		from     string
		attempts int
		taken    int
	}
	byID := map[string]*seen{}
	for _, h := range e.hooks.all(queued) {
		checkSigned(t, h, e.secret)
		s := byID[h.EventID]
		if s == nil {
			s = &seen{body: h.Body, event: h.event(), from: h.Form.Get("from")}
			byID[h.EventID] = s
		} else if !bytes.Equal(s.body, h.Body) {
			t.Errorf("event %s: a retry changed the body:\n  %s\n  %s", h.EventID, s.body, h.Body)
		}
		s.attempts++
		if h.Status == http.StatusOK {
			s.taken++
		}
	}
	perCall := map[string]map[string]int{} // from -> event -> event ids
	retried := 0
	for id, s := range byID {
		if perCall[s.from] == nil {
			perCall[s.from] = map[string]int{}
		}
		perCall[s.from][s.event]++
		switch {
		case s.taken == 0:
			t.Errorf("%s event %s of %s never taken after %d attempts", s.event, id, s.from, s.attempts)
		case s.taken > 1:
			t.Errorf("%s event %s of %s sent again after the consumer took it (%d times)", s.event, id, s.from, s.taken)
		}
		if s.attempts > 1 {
			retried++
		}
	}
	for i := 1; i <= downCalls; i++ {
		from := prefix + strconv.Itoa(i)
		if got := perCall[from]; got["answer"] != 1 || got["hangup"] != 1 || len(got) != 2 {
			t.Errorf("call from %s: events %v, want one answer and one hangup", from, got)
		}
	}
	if len(perCall) != downCalls {
		t.Errorf("events of %d calls, want %d", len(perCall), downCalls)
	}
	t.Logf("%d distinct events, %d of them retried", len(byID), retried)
	if t.Failed() {
		t.Logf("receiver:\n%s", e.hooks.dump())
	}
}
