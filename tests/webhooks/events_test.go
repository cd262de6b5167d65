package webhooks

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"
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
// the account's incoming URL subscribed to answer and hangup. The user's
// phone answers (answer, then hangup with normalClearing, its duration and
// answer time); the group's number rings both members and the caller
// gives up (hangup with cancel, no answer); the user's phone is busy
// (hangup with busy, the trunk gets 486).
func TestIncomingCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{events: allEvents})
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
		if ans.Form.Get("callId") == "" || ans.Form.Get("callId") != hup.Form.Get("callId") {
			t.Errorf("answer callId %q, hangup callId %q: want one id", ans.Form.Get("callId"), hup.Form.Get("callId"))
		}
		if ans.EventID == hup.EventID {
			t.Errorf("answer and hangup share the event id %s", ans.EventID)
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
		noneOf(t, e.hooks, "answer", callOf(from))
	})
}

// TestOutgoingCall: Anna's phone calls an outside number, which the trunk
// answers; the account's outgoing URL gets answer and hangup with
// direction out, from Anna's number to the number dialled in E.164.
func TestOutgoingCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{events: allEvents})
	defer e.failLog(t)
	anna := e.users[0]
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
	if got := e.hooks.all(path("/in")); len(got) > 0 {
		t.Errorf("the incoming URL got %d webhooks of an outgoing call: %s", len(got), got[0])
	}
}
