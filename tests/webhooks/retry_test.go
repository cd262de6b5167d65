package webhooks

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sort"
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
	checkDeliveryLog(t, e, e.hooks.all(queued))
	if t.Failed() {
		t.Logf("receiver:\n%s", e.hooks.dump())
	}
}

// checkDeliveryLog reads the account's delivery log over the API and
// checks it against what the consumer got: every attempt of the events
// is logged with its number (1, 2, …), the status the consumer answered
// and the body sent, and only the last attempt of each event is ok.
func checkDeliveryLog(t *testing.T, e *env, got []hook) {
	t.Helper()
	type delivery struct {
		ID      string `json:"id"`
		EventID string `json:"eventId"`
		Event   string `json:"event"`
		URL     string `json:"url"`
		Attempt int    `json:"attempt"`
		Status  int    `json:"status"`
		OK      bool   `json:"ok"`
		Request string `json:"request"`
	}
	logged := map[string][]delivery{}
	ctx, cancel := context.WithTimeout(context.Background(), hookWait)
	defer cancel()
	for cursor, pages := "", 0; pages < 100; pages++ {
		r, err := e.api.Expect(ctx, http.MethodGet, "/v1/webhooks/deliveries?limit=200&cursor="+url.QueryEscape(cursor), nil, e.acct.Token)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []delivery `json:"items"`
			Next  string     `json:"next"`
		}
		if err := r.Decode(&page); err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			logged[d.EventID] = append(logged[d.EventID], d)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(logged) == 0 {
		t.Fatal("GET /v1/webhooks/deliveries: the log is empty")
	}
	sent := map[string][]hook{}
	for _, h := range got {
		sent[h.EventID] = append(sent[h.EventID], h)
	}
	for id, hs := range sent {
		ds := logged[id]
		sort.Slice(ds, func(i, j int) bool { return ds[i].Attempt < ds[j].Attempt })
		if len(ds) != len(hs) {
			t.Errorf("event %s: %d attempts logged, the consumer got %d", id, len(ds), len(hs))
			continue
		}
		for i, d := range ds {
			last := i == len(ds)-1
			switch {
			case d.Attempt != i+1:
				t.Errorf("event %s: attempts logged as %d at place %d", id, d.Attempt, i+1)
			case d.URL != e.hooks.URL("/in") || d.Event != hs[0].event() || d.Request != string(hs[0].Body):
				t.Errorf("event %s: logged %s to %s with %q, the consumer got %s", id, d.Event, d.URL, d.Request, hs[0])
			case last && (!d.OK || d.Status != http.StatusOK), !last && (d.OK || d.Status != http.StatusInternalServerError):
				t.Errorf("event %s: attempt %d of %d logged with status %d, ok %v", id, d.Attempt, len(ds), d.Status, d.OK)
			}
		}
	}

	// The log's resend action sends a delivery again: the same body and
	// event id, signed anew.
	h := got[0]
	ds := logged[h.EventID]
	r, err := e.api.Expect(ctx, http.MethodPost, "/v1/webhooks/deliveries/"+url.PathEscape(ds[len(ds)-1].ID)+"/resend", nil, e.acct.Token)
	if err != nil {
		t.Fatal(err)
	}
	again := e.hooks.wait(len(sent[h.EventID])+1, hookWait, func(x hook) bool { return x.EventID == h.EventID })
	if len(again) != len(sent[h.EventID])+1 {
		t.Fatalf("resend of event %s (%s): the consumer got nothing more", h.EventID, r)
	}
	res := again[len(again)-1]
	checkSigned(t, res, e.secret)
	if !bytes.Equal(res.Body, h.Body) {
		t.Errorf("resent body %s, first sent %s", res.Body, h.Body)
	}
}
