package webhook

import (
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
)

// TestSteeringAndCallbacks: newCall gets the consumer's XML back as a
// Response, and the call's answer and hangup then go to the onAnswer and
// onHangup URLs it named, signed, with the hangup's extra fields.
func TestSteeringAndCallbacks(t *testing.T) {
	e := newEnv(t, Config{})
	crm := newConsumer(t)
	crm.ctype = "application/xml"
	crm.answer = []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Response onAnswer="` + crm.URL + `/answer" onHangup="` + crm.URL + `/hangup"><Dial><Number>4915112345678</Number><Number>4930999</Number></Dial></Response>`)
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: crm.URL + "/new"}})

	call := func(id string, typ events.Type) events.Event {
		ev := e.event(id, typ, "+492111234567")
		ev.Call.ID = "c1"
		return ev
	}
	resp, err := e.d.NewCall(e.ctx, call("e1", events.NewCall))
	if err != nil {
		t.Fatal(err)
	}
	want := &Response{OnAnswer: crm.URL + "/answer", OnHangup: crm.URL + "/hangup", Verb: Dial{Numbers: []string{"4915112345678", "4930999"}}}
	if !reflect.DeepEqual(resp, want) {
		t.Fatalf("steering response %#v, want %#v", resp, want)
	}
	crm.answer = nil
	answer := call("e2", events.Answer)
	if err := e.d.Observe(e.ctx, answer); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Deliver(e.ctx, answer, 1); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(90 * time.Second)
	if err := e.d.Deliver(e.ctx, call("e3", events.Hangup), 1); err != nil {
		t.Fatal(err)
	}
	got := crm.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want newCall, answer, hangup", len(got))
	}
	for i, want := range []map[string]string{
		{"event": "newCall", "from": "4930123456", "to": "492111234567", "direction": "in", "callId": "c1", "userId[]": "w0", "fullUserId[]": e.account + "w0", "user[]": "Ada Admin"},
		{"event": "answer", "callId": "c1", "userId": "w0", "user": "Ada Admin", "answeringNumber": "4915112345678"},
		{"event": "hangup", "cause": "normalClearing", "duration": "90", "answerTime": answer.Time.Format(time.RFC3339)},
	} {
		r := got[i]
		for k, v := range want {
			if r.form.Get(k) != v {
				t.Errorf("request %d: %s = %q, want %q (%s)", i, k, r.form.Get(k), v, r.body)
			}
		}
		if err := Verify([]byte(e.secret), r.header.Get(HeaderTimestamp), r.header.Get(HeaderSignature), r.body, e.clock.Now(), time.Hour); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
		if r.header.Get("Content-Type") != ContentTypeForm || r.header.Get(HeaderEventID) == "" {
			t.Errorf("request %d: headers %v", i, r.header)
		}
	}
}

// TestSteeringNeverFails: an answer that is not a valid response, an
// error status or no URL at all leave the call to its routing.
func TestSteeringNeverFails(t *testing.T) {
	e := newEnv(t, Config{})
	ev := e.event("e1", events.NewCall, "+492111234567")
	if resp, err := e.d.NewCall(e.ctx, ev); resp != nil || err != nil {
		t.Fatalf("without settings: %v %v", resp, err)
	}
	crm := newConsumer(t)
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: crm.URL}})
	crm.answer = []byte(`<Response><Explode/></Response>`)
	if resp, err := e.d.NewCall(e.ctx, ev); resp != nil || err == nil {
		t.Fatalf("invalid XML: %v %v, want an error to log", resp, err)
	}
	crm.answer = []byte(`{"ok":true}`)
	if resp, err := e.d.NewCall(e.ctx, ev); resp != nil || err != nil {
		t.Fatalf("a JSON answer: %v %v", resp, err)
	}
	crm.setStatus(func(received) int { return http.StatusInternalServerError })
	crm.answer = []byte(`<Response><Hangup/></Response>`)
	if resp, err := e.d.NewCall(e.ctx, ev); resp != nil || err != nil {
		t.Fatalf("a 500 with XML: %v %v", resp, err)
	}
}

// TestEmergencyAndInternal: calls to 110 and 112 and internal calls send
// nothing, whatever the settings.
func TestEmergencyAndInternal(t *testing.T) {
	e := newEnv(t, Config{})
	crm := newConsumer(t)
	e.settings(account.WebhookSettings{
		Incoming: &account.Hook{URL: crm.URL, Events: []string{"newCall", "answer", "hangup"}},
		Outgoing: &account.Hook{URL: crm.URL, Events: []string{"newCall", "answer", "hangup"}},
	})
	for _, to := range []string{"110", "112", "+49112", "+49110", " 112 "} {
		ev := e.event("e-"+to, events.NewCall, to)
		ev.Call.Direction = "out"
		if _, err := e.d.NewCall(e.ctx, ev); err != nil {
			t.Fatal(err)
		}
		ev.Type = events.Hangup
		if Queued(ev) {
			t.Errorf("a hangup of a call to %q is queued", to)
		}
		if err := e.d.Deliver(e.ctx, ev, 1); err != nil {
			t.Fatal(err)
		}
	}
	internal := e.event("e-int", events.NewCall, "21")
	internal.Call.Direction = "internal"
	if _, err := e.d.NewCall(e.ctx, internal); err != nil {
		t.Fatal(err)
	}
	if n := len(crm.requests()); n != 0 {
		t.Fatalf("%d requests for emergency and internal calls", n)
	}
	if !Queued(e.event("x", events.Hangup, "+4930123")) || Queued(e.event("y", events.NewCall, "+4930123")) {
		t.Fatal("only answer and hangup are queued")
	}
}

// TestTargets: overrides replace the account URL for their user, limits
// by user and group, event subscriptions, one request per URL.
func TestTargets(t *testing.T) {
	view := account.WebhookView{Account: "1234567",
		Incoming:  &account.Hook{URL: "https://a.example/in", Format: "form", Events: []string{"newCall"}, Groups: []string{"g0"}},
		Outgoing:  &account.Hook{URL: "https://a.example/out", Format: "json", Events: []string{"newCall", "hangup"}},
		Overrides: map[string]account.Override{"w2": {UserID: "w2", Incoming: &account.UserHook{URL: "https://w2.example/", Format: "json", Events: []string{"newCall", "answer"}}}},
	}
	dir := account.Directory{Groups: map[string][]string{"g0": {"w0", "w1"}}}
	call := func(typ events.Type, direction string, users ...string) events.Event {
		for i, u := range users {
			users[i] = "1234567" + u
		}
		return events.Event{Type: typ, Account: "1234567", Call: &events.Call{Direction: direction, Users: users}}
	}
	cases := []struct {
		name string
		ev   events.Event
		sub  *callSub
		want []target
	}{
		{"group members share one request", call(events.NewCall, "in", "w0", "w1"), nil, []target{{"https://a.example/in", "form"}}},
		{"a user outside the limit", call(events.NewCall, "in", "w3"), nil, nil},
		{"no user: limited URL skipped", call(events.NewCall, "in"), nil, nil},
		{"override and account URL", call(events.NewCall, "in", "w2", "w0"), nil, []target{{"https://w2.example/", "json"}, {"https://a.example/in", "form"}}},
		{"override subscribes to answer", call(events.Answer, "in", "w2", "w0"), nil, []target{{"https://w2.example/", "json"}}},
		{"outgoing, unlimited", call(events.Hangup, "out"), nil, []target{{"https://a.example/out", "json"}}},
		{"outgoing, not subscribed", call(events.Answer, "out", "w2"), nil, nil},
		{"call's onHangup", call(events.Hangup, "in", "w3"), &callSub{OnHangup: "https://crm.example/h"}, []target{{"https://crm.example/h", "form"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := targets(view, dir, tc.ev, tc.sub); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("targets %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCause(t *testing.T) {
	for in, want := range map[string]string{
		"callerHangup": "normalClearing", "calleeHangup": "normalClearing", "cancelled": "cancel", "busy": "busy",
		"declined": "busy", "noAnswer": "noAnswer", "unavailable": "noAnswer", "notFound": "notFound",
		"forwarded": "forwarded", "mediaTimeout": "congestion", "somethingNew": "congestion",
	} {
		if got := Cause(in); got != want {
			t.Errorf("Cause(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestTestAndResend: the test action reaches every URL and logs it;
// resend sends a logged body again under the same event id; the log
// lists newest first and pages.
func TestTestAndResend(t *testing.T) {
	e := newEnv(t, Config{})
	crm, other := newConsumer(t), newConsumer(t)
	other.setStatus(func(received) int { return http.StatusServiceUnavailable })
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: crm.URL}, Outgoing: &account.Hook{URL: other.URL, Format: "json"}})
	ds, err := e.d.Test(e.ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || !ds[0].OK || ds[1].OK || ds[1].Status != 503 || !strings.Contains(ds[1].Error, "503") {
		t.Fatalf("test deliveries %+v", ds)
	}
	if got := other.requests()[0].body; !strings.Contains(string(got), `"event":"test"`) {
		t.Fatalf("JSON test body %s", got)
	}
	other.setStatus(func(received) int { return http.StatusOK })
	again, err := e.d.Resend(e.ctx, e.admin, ds[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.OK || again.ResendOf != ds[1].ID || again.EventID != ds[1].EventID || again.Attempt != 2 || again.Request != ds[1].Request {
		t.Fatalf("resent %+v", again)
	}
	r := other.requests()
	if r[1].header.Get(HeaderEventID) != ds[1].EventID || string(r[1].body) != string(r[0].body) {
		t.Fatal("the resend's body or event id differ from the original")
	}
	page, next, err := e.d.Deliveries(e.ctx, e.admin, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != again.ID || next == "" {
		t.Fatalf("first page %+v, next %q", page, next)
	}
	rest, next, err := e.d.Deliveries(e.ctx, e.admin, next, 2)
	if err != nil || len(rest) != 1 || next != "" {
		t.Fatalf("second page %+v, %q, %v", rest, next, err)
	}
	if _, err := e.d.Resend(e.ctx, e.admin, "dl0000"); account.KindOf(err) != account.NotFound {
		t.Fatalf("resend of no delivery: %v", err)
	}
	if _, _, err := e.d.Deliveries(e.ctx, e.admin, "garbage", 2); account.KindOf(err) != account.Invalid {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestNewCallWaitsForTheSteeringURLOnly: a call that reaches a user with
// a URL of their own and another user is steered by the first URL; the
// account-wide URL is told of the call too, and a consumer there that
// hangs holds nothing.
func TestNewCallWaitsForTheSteeringURLOnly(t *testing.T) {
	e := newEnv(t, Config{Timeout: 30 * time.Second})
	if _, err := e.svc.CreateUser(e.ctx, e.admin, account.UserInput{Name: "Bob", Email: "bob@acme.example"}); err != nil {
		t.Fatal(err)
	}
	own, hanging := newConsumer(t), newConsumer(t)
	own.ctype, own.answer = "application/xml", []byte(`<Response><Reject reason="busy"/></Response>`)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	hanging.setStatus(func(received) int { <-release; return http.StatusOK })
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: hanging.URL},
		Overrides: []account.Override{{UserID: "w1", Incoming: &account.UserHook{URL: own.URL}}}})
	ev := e.event("e1", events.NewCall, "+492111234567")
	ev.Call.Users = []string{e.account + "w1", e.account + "w0"} // w1 first: its URL steers
	done := make(chan *Response, 1)
	go func() {
		resp, err := e.d.NewCall(e.ctx, ev)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	select {
	case resp := <-done:
		if resp == nil || resp.Verb != (Reject{Reason: "busy"}) {
			t.Errorf("steering %+v, want the user's URL's Reject", resp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("NewCall waited for the account-wide URL")
	}
	free()
	e.d.Wait()
	if len(own.requests()) != 1 || len(hanging.requests()) != 1 {
		t.Errorf("requests: user's URL %d, account-wide %d; want one each", len(own.requests()), len(hanging.requests()))
	}
}
