package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// allEvents subscribes the account's URLs to every call event.
var allEvents = []string{"newCall", "answer", "hangup"}

// answerFields are the fields of an answer event the user u took.
func answerFields(u *user, accountID, from, to, direction, answering string) url.Values {
	return url.Values{"event": {"answer"}, "callId": {"*"}, "user": {u.Name}, "userId": {u.ID}, "fullUserId": {accountID + u.ID},
		"from": {from}, "to": {to}, "direction": {direction}, "answeringNumber": {answering}}
}

// hangupFields are the fields of a hangup event; an answered call also
// has answerTime.
func hangupFields(cause, from, to, direction, answering string, answered bool) url.Values {
	v := url.Values{"event": {"hangup"}, "callId": {"*"}, "cause": {cause}, "from": {from}, "to": {to}, "direction": {direction},
		"answeringNumber": {answering}, "duration": {"*"}}
	if answered {
		v["answerTime"] = []string{"*"}
	}
	return v
}

// hangupChecks checks duration and answerTime of a call answered between
// after and before that lasted about talk.
func hangupChecks(after, before time.Time, talk time.Duration) map[string]func(string) error {
	return map[string]func(string) error{
		"duration": func(s string) error {
			d, err := strconv.Atoi(s)
			switch {
			case err != nil:
				return err
			case talk == 0 && d != 0:
				return errors.New("want 0 for a call nobody answered")
			case talk > 0 && (time.Duration(d)*time.Second < talk-time.Second || time.Duration(d)*time.Second > talk+2*time.Second):
				return fmt.Errorf("want about %s", talk)
			}
			return nil
		},
		"answerTime": func(s string) error {
			at, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return err
			}
			if at.Before(after.Truncate(time.Second)) || at.After(before) {
				return fmt.Errorf("not between the call's INVITE (%s) and its end (%s)", after.Format(time.RFC3339), before.Format(time.RFC3339))
			}
			return nil
		},
	}
}

// checkNewCall checks a newCall event: the compatible format's fields,
// the array forms listing every user the call reaches (even one), and
// origCallId and xcid naming the call itself (it was not forwarded). It
// returns the call's id.
func checkNewCall(t *testing.T, h hook, secret, accountID, from, to, direction string, users ...*user) string {
	t.Helper()
	checkSigned(t, h, secret)
	want := url.Values{"event": {"newCall"}, "from": {from}, "to": {to}, "direction": {direction},
		"callId": {"*"}, "origCallId": {"*"}, "xcid": {"*"}}
	for _, u := range users {
		want["user[]"] = append(want["user[]"], u.Name)
		want["userId[]"] = append(want["userId[]"], u.ID)
		want["fullUserId[]"] = append(want["fullUserId[]"], accountID+u.ID)
	}
	checkFields(t, h, want, nil)
	id := h.Form.Get("callId")
	if id == "" || h.Form.Get("origCallId") != id || h.Form.Get("xcid") == "" {
		t.Errorf("newCall callId %q origCallId %q xcid %q: want a call id, the same as origCallId, and an xcid", id, h.Form.Get("origCallId"), h.Form.Get("xcid"))
	}
	return id
}

// sameCall checks that events name the call newCall named.
func sameCall(t *testing.T, callID string, hs ...hook) {
	t.Helper()
	for _, h := range hs {
		if got := h.Form.Get("callId"); got != callID {
			t.Errorf("%s: callId %q, want the newCall's %q", h.event(), got, callID)
		}
	}
}

// callOf matches the requests about the call of one caller number.
func callOf(from string) func(h hook) bool { return field("from", from) }

// noneOf checks that no request of an event about a call came, after
// giving a late one a moment.
func noneOf(t *testing.T, r *receiver, ev string, match func(h hook) bool) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	if got := r.all(and(event(ev), match)); len(got) > 0 {
		t.Errorf("got %d %s webhooks, want none: %s", len(got), ev, got[0])
	}
}

// TestIncomingCall: calls from the trunk to the account's numbers, with
// the account's incoming URL subscribed to newCall, answer and hangup.
// newCall lists the users the call reaches in the array forms. The user's
// phone answers (answer, then hangup with normalClearing, its duration and
// answer time); the group's number rings both members and the caller
// gives up (hangup with cancel, no answer); the user's phone is busy
// (hangup with busy, the trunk gets 486); nobody answers the user's phone
// within the stack's no-answer time, here 2 s (hangup with noAnswer, the
// trunk gets 480). A URL limited to a user takes only the calls that
// reach the user. A newCall that hangs holds the call no longer than the
// stack's steering timeout, here 1 s.
func TestIncomingCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{events: allEvents, args: []string{"-no-answer", "2s", "-webhook-timeout", "1s"}})
	defer e.failLog(t)
	anna, bernd := e.users[0], e.users[1]

	t.Run("answered", func(t *testing.T) {
		from := e.caller() + "1"
		to := digits(anna.Number)
		phone := e.phone(t, anna, "uas.xml").start(t)
		start := time.Now()
		if !e.trunkCall(t, "trunk_call.xml", from[:len(from)-1], to, 0).run(t) || !phone.wait(t) {
			t.FailNow()
		}
		end := time.Now()
		ans := e.hooks.one(t, hookWait, "answer", and(path("/in"), event("answer"), callOf(from)))
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/in"), event("hangup"), callOf(from)))
		checkSigned(t, ans, e.secret)
		checkSigned(t, hup, e.secret)
		checkFields(t, ans, answerFields(anna, e.acct.ID, from, to, "in", to), nil)
		checkFields(t, hup, hangupFields("normalClearing", from, to, "in", to, true), hangupChecks(start, end, 1200*time.Millisecond))
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		sameCall(t, checkNewCall(t, nc, e.secret, e.acct.ID, from, to, "in", anna), ans, hup)
		if ans.EventID == hup.EventID || nc.EventID == ans.EventID {
			t.Errorf("events share an event id: newCall %s, answer %s, hangup %s", nc.EventID, ans.EventID, hup.EventID)
		}
	})

	t.Run("group, caller cancels", func(t *testing.T) {
		from := e.caller() + "1"
		to := digits(e.group.Number)
		a, b := e.phone(t, anna, "phone_ring.xml").start(t), e.phone(t, bernd, "phone_ring.xml").start(t)
		if !e.trunkCall(t, "trunk_cancel.xml", from[:len(from)-1], to, 0).run(t) {
			t.FailNow()
		}
		// Both members' phones rang: each saw the INVITE and the CANCEL.
		if !a.wait(t) || !b.wait(t) {
			t.FailNow()
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/in"), event("hangup"), callOf(from)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("cancel", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		sameCall(t, checkNewCall(t, nc, e.secret, e.acct.ID, from, to, "in", anna, bernd), hup)
		noneOf(t, e.hooks, "answer", callOf(from))
	})

	t.Run("busy", func(t *testing.T) {
		from := e.caller() + "1"
		to := digits(anna.Number)
		phone := e.phone(t, anna, "phone_busy.xml").start(t)
		// trunk_busy.xml wants the 486 the phone gave.
		if !e.trunkCall(t, "trunk_busy.xml", from[:len(from)-1], to, 0).run(t) || !phone.wait(t) {
			t.FailNow()
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/in"), event("hangup"), callOf(from)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("busy", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		sameCall(t, checkNewCall(t, nc, e.secret, e.acct.ID, from, to, "in", anna), hup)
		noneOf(t, e.hooks, "answer", callOf(from))
	})

	t.Run("no answer", func(t *testing.T) {
		from := e.caller() + "1"
		to := digits(anna.Number)
		// The phone rings until the stack cancels it.
		phone := e.phone(t, anna, "phone_ring.xml").start(t)
		if !e.trunkCall(t, "trunk_noanswer.xml", from[:len(from)-1], to, 0).run(t) || !phone.wait(t) {
			t.FailNow()
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/in"), event("hangup"), callOf(from)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("noAnswer", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		sameCall(t, checkNewCall(t, nc, e.secret, e.acct.ID, from, to, "in", anna), hup)
		noneOf(t, e.hooks, "answer", callOf(from))
	})

	t.Run("URL limited to a user", func(t *testing.T) {
		// The incoming URL takes only calls that reach Bernd: the group's
		// do, Anna's own do not.
		ctx, cancel := context.WithTimeout(context.Background(), hookWait)
		defer cancel()
		put := func(users ...string) {
			in := map[string]any{"url": e.hooks.URL("/in"), "events": allEvents}
			if len(users) > 0 {
				in["users"] = users
			}
			out := map[string]any{"url": e.hooks.URL("/out"), "events": allEvents}
			if _, err := e.api.Expect(ctx, http.MethodPut, "/v1/webhooks", map[string]any{"incoming": in, "outgoing": out}, e.acct.Token); err != nil {
				t.Fatal(err)
			}
		}
		put(bernd.ID)
		defer put()
		mine := e.caller()
		phone := e.phone(t, anna, "uas.xml").start(t)
		if !e.trunkCall(t, "trunk_call.xml", mine, digits(anna.Number), 0).run(t) || !phone.wait(t) {
			t.FailNow()
		}
		from := e.caller() + "1"
		a, b := e.phone(t, anna, "phone_ring.xml").start(t), e.phone(t, bernd, "phone_ring.xml").start(t)
		if !e.trunkCall(t, "trunk_cancel.xml", from[:len(from)-1], digits(e.group.Number), 0).run(t) || !a.wait(t) || !b.wait(t) {
			t.FailNow()
		}
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		checkNewCall(t, nc, e.secret, e.acct.ID, from, digits(e.group.Number), "in", anna, bernd)
		e.hooks.one(t, hookWait, "hangup", and(path("/in"), event("hangup"), callOf(from)))
		if got := e.hooks.all(callOf(mine + "1")); len(got) > 0 {
			t.Errorf("a call to Anna's number reached a URL limited to Bernd: %s", got[0])
		}
	})

	t.Run("newCall hangs", func(t *testing.T) { hangingNewCall(t, e, time.Second) })
}

// TestOutgoingCall: Anna's phone calls an outside number, which the trunk
// answers; the account's outgoing URL gets newCall, answer and hangup with
// direction out, from Anna's number to the number dialled in E.164. Her
// calls to Bernd's extension (internal) and to 112 (out through the trunk
// as well) send no webhook at all. Bernd's calls go to his override of
// the outgoing URL instead, in JSON.
func TestOutgoingCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{events: allEvents, jsonOut: true})
	defer e.failLog(t)
	anna, bernd := e.users[0], e.users[1]

	t.Run("outside number", func(t *testing.T) {
		const dialled, to = "0302220001", "49302220001"
		from := digits(anna.Number)
		trunk := e.trunkPeer(t, "uas.xml").start(t)
		start := time.Now()
		if !e.phoneCall(t, anna, dialled).run(t) || !trunk.wait(t) {
			t.FailNow()
		}
		end := time.Now()
		match := and(path("/out"), field("to", to))
		ans := e.hooks.one(t, hookWait, "answer", and(event("answer"), match))
		hup := e.hooks.one(t, hookWait, "hangup", and(event("hangup"), match))
		checkSigned(t, ans, e.secret)
		checkSigned(t, hup, e.secret)
		checkFields(t, ans, answerFields(anna, e.acct.ID, from, to, "out", to), nil)
		checkFields(t, hup, hangupFields("normalClearing", from, to, "out", to, true), hangupChecks(start, end, 2*time.Second))
		nc := e.hooks.one(t, hookWait, "newCall", and(event("newCall"), match))
		sameCall(t, checkNewCall(t, nc, e.secret, e.acct.ID, from, to, "out", anna), ans, hup)
		if got := e.hooks.all(path("/in")); len(got) > 0 {
			t.Errorf("the incoming URL got %d webhooks of an outgoing call: %s", len(got), got[0])
		}
	})

	t.Run("per-user URL in JSON", func(t *testing.T) {
		const dialled, to = "0302220002", "49302220002"
		from := digits(bernd.Number)
		trunk := e.trunkPeer(t, "uas.xml").start(t)
		if !e.phoneCall(t, bernd, dialled).run(t) || !trunk.wait(t) {
			t.FailNow()
		}
		match := and(path("/json"), field("to", to))
		nc := e.hooks.one(t, hookWait, "newCall", and(event("newCall"), match))
		ans := e.hooks.one(t, hookWait, "answer", and(event("answer"), match))
		hup := e.hooks.one(t, hookWait, "hangup", and(event("hangup"), match))
		callID := nc.get("callId")
		checkJSON(t, nc, map[string]any{"event": "newCall", "eventId": nc.EventID, "from": from, "to": to, "direction": "out",
			"callId": "*", "origCallId": callID, "xcid": "*", "user": []string{bernd.Name}, "userId": []string{bernd.ID},
			"fullUserId": []string{e.acct.ID + bernd.ID}})
		checkJSON(t, ans, map[string]any{"event": "answer", "eventId": ans.EventID, "callId": callID, "user": bernd.Name,
			"userId": bernd.ID, "fullUserId": e.acct.ID + bernd.ID, "from": from, "to": to, "direction": "out", "answeringNumber": to})
		checkJSON(t, hup, map[string]any{"event": "hangup", "eventId": hup.EventID, "callId": callID, "cause": "normalClearing",
			"from": from, "to": to, "direction": "out", "answeringNumber": to, "duration": anyNumber, "answerTime": "*"})
		for _, h := range []hook{nc, ans, hup} {
			checkSigned(t, h, e.secret)
		}
		if got := e.hooks.all(and(path("/out"), field("to", to))); len(got) > 0 {
			t.Errorf("the account's outgoing URL got %d webhooks of a call of a user with an override: %s", len(got), got[0])
		}
	})

	t.Run("test event and secret rotation", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), hookWait)
		defer cancel()
		// The test action posts event=test to every URL: the account's two
		// and Bernd's own; then a rotated secret signs from the next
		// request on, and the old one no longer verifies.
		urls := []string{"/in", "/json", "/out"} // sorted
		old := e.secret
		for round, secret := range []string{old, ""} {
			if round == 1 {
				r, err := e.api.Expect(ctx, http.MethodPost, "/v1/webhooks/secret/rotate", nil, e.acct.Token)
				if err != nil {
					t.Fatal(err)
				}
				if secret = apiclient.Str(r.JSON, "signingSecret"); secret == "" || secret == old {
					t.Fatalf("rotated secret %q: want a new one shown", secret)
				}
				e.secret = secret
			}
			before := len(e.hooks.all(event("test")))
			if _, err := e.api.Expect(ctx, http.MethodPost, "/v1/webhooks/test", nil, e.acct.Token); err != nil {
				t.Fatal(err)
			}
			got := e.hooks.wait(before+len(urls), hookWait, event("test"))[before:]
			var paths []string
			for _, h := range got {
				paths = append(paths, h.Path)
				checkSigned(t, h, secret)
				if round == 1 && signedWith(h, old) {
					t.Errorf("%s: the rotated-out secret still verifies", h.Path)
				}
				if h.JSON != nil {
					checkJSON(t, h, map[string]any{"event": "test", "eventId": h.EventID})
				} else {
					checkFields(t, h, url.Values{"event": {"test"}}, nil)
				}
			}
			slices.Sort(paths)
			if !slices.Equal(paths, urls) {
				t.Errorf("test event posted to %v, want %v", paths, urls)
			}
		}
	})

	// silent checks that a call sends no webhook: nothing arrives while it
	// lasts, nor in the second after it (answer and hangup are queued).
	silent := func(t *testing.T, call func() bool) {
		before := len(e.hooks.all(func(hook) bool { return true }))
		if !call() {
			t.FailNow()
		}
		time.Sleep(time.Second)
		if got := e.hooks.all(func(hook) bool { return true }); len(got) > before {
			t.Errorf("got %d webhooks, want none: %s", len(got)-before, got[before])
		}
	}

	t.Run("internal call", func(t *testing.T) {
		silent(t, func() bool {
			phone := e.phone(t, bernd, "uas.xml").start(t)
			return e.phoneCall(t, anna, bernd.Extension).run(t) && phone.wait(t)
		})
	})

	t.Run("emergency number", func(t *testing.T) {
		silent(t, func() bool {
			trunk := e.trunkPeer(t, "uas.xml").start(t)
			return e.phoneCall(t, anna, "112").run(t) && trunk.wait(t)
		})
	})
}
