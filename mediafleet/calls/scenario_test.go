package calls

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/shared/model"
)

// TestCallUserRingsAllPhones: 11 is w1, who has two phones. Both ring;
// the first to answer wins and the other gets CANCEL.
func TestCallUserRingsAllPhones(t *testing.T) {
	e := newEnv(t, options{})
	caller, first, second := e.newPhone(0), e.newPhone(1), e.newPhone(2)
	for _, p := range []*testPhone{caller, first, second} {
		p.register()
	}
	first.setMode(ringForever)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "11")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	first.next("invite")
	second.next("invite")
	second.next("answered")
	first.next("cancel")
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	second.next("bye")
	evs := e.callEvents()
	if evs[1].Type != events.Answer || evs[1].Call.Answered != device(2) {
		t.Errorf("answer event %+v", evs[1].Call)
	}
	e.settle()
	if r := e.records()[0]; r.AnsweredBy != device(2) || !slices.Contains(r.Devices, device(1)) {
		t.Errorf("record %+v", r)
	}
}

// TestCallGroupRingsEveryMember: 20 is g0 (w1 and w2): e1, e2 and e3
// ring; e3 answers, e1 and e2 get CANCEL. The group's number does the
// same.
func TestCallGroupRingsEveryMember(t *testing.T) {
	e := newEnv(t, options{})
	caller := e.newPhone(0)
	caller.register()
	members := []*testPhone{e.newPhone(1), e.newPhone(2), e.newPhone(3)}
	for _, p := range members {
		p.register()
	}
	members[0].setMode(ringForever)
	members[1].setMode(ringForever)
	for _, dial := range []string{"20", "0211 1234562"} {
		t.Run(dial, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			s, err := caller.call(ctx, strings.ReplaceAll(dial, " ", ""))
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			for _, p := range members {
				p.next("invite")
			}
			members[2].next("answered")
			members[0].next("cancel")
			members[1].next("cancel")
			if err := s.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			members[2].next("bye")
			evs := e.callEvents()
			if users := evs[0].Call.Users; !slices.Contains(users, testAccount+"w1") || !slices.Contains(users, testAccount+"w2") {
				t.Errorf("newCall users %v", users)
			}
			e.settle()
		})
	}
}

// TestCallFailures: what the caller gets when the callee is busy,
// declines, does not answer, is not registered or does not exist.
func TestCallFailures(t *testing.T) {
	e := newEnv(t, options{config: func(c *Config) { c.NoAnswer = 500 * time.Millisecond }})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	tests := []struct {
		name  string
		mode  answerMode
		dial  string
		want  int
		cause string
	}{
		{"busy", busy, "12", sip.StatusBusyHere, CauseBusy},
		{"declined", decline, "12", 603, CauseDeclined},
		{"no answer", ringForever, "12", sip.StatusTemporarilyUnavailable, CauseNoAnswer},
		{"not registered", answerNow, "11", sip.StatusTemporarilyUnavailable, CauseUnavailable},
		{"unknown extension", answerNow, "99", sip.StatusNotFound, ""},
		{"external without trunk", answerNow, "030 12345678", sip.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callee.setMode(tt.mode)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			_, err := caller.call(ctx, strings.ReplaceAll(tt.dial, " ", ""))
			if got := status(err); got != tt.want {
				t.Fatalf("status %d (%v), want %d", got, err, tt.want)
			}
			if tt.cause == "" {
				return // refused before a call was made
			}
			evs := e.callEvents()
			if got := types(evs); !slices.Equal(got, []events.Type{events.NewCall, events.Hangup}) || evs[1].Call.Cause != tt.cause {
				t.Errorf("events %v, cause %q; want newCall, hangup with %q", got, evs[len(evs)-1].Call.Cause, tt.cause)
			}
			e.settle()
		})
	}
	recs := e.records()
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	for _, r := range recs {
		if r.Answer != nil || r.Status < 400 {
			t.Errorf("record %+v", r)
		}
	}
}

// TestForwardNoAnswer: w2 forwards to 11 when unanswered for a second;
// e3 rings, gets CANCEL, and w1's phone answers.
func TestForwardNoAnswer(t *testing.T) {
	e := newEnv(t, options{world: func(w *world) {
		w.users["w2"].Forwarding = []model.Forward{{When: "noAnswer", After: 1, Target: "11"}}
	}})
	caller, w2, w1 := e.newPhone(0), e.newPhone(3), e.newPhone(1)
	for _, p := range []*testPhone{caller, w2, w1} {
		p.register()
	}
	w2.setMode(ringForever)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	w2.next("invite")
	w2.next("cancel")
	w1.next("invite")
	w1.next("answered")
	_ = s.Bye(ctx)
	w1.next("bye")
	// The first leg ends with cause forwarded; the second has a call id
	// of its own and names the first and the number first dialled.
	first := e.callEvents()
	if !slices.Equal(types(first), []events.Type{events.NewCall, events.Hangup}) || first[1].Call.Cause != CauseForwarded {
		t.Fatalf("first leg: %v, cause %q", types(first), first[1].Call.Cause)
	}
	second := e.callEvents()
	if !slices.Equal(types(second), []events.Type{events.NewCall, events.Answer, events.Hangup}) {
		t.Fatalf("second leg: %v", types(second))
	}
	leg, orig := second[0].Call, first[0].Call
	// w1 (extension 11) has no number of its own: the leg is named by
	// the number first dialled, here the extension 12.
	if leg.ID == orig.ID || leg.OrigID != orig.ID || leg.Diversion != "12" || leg.To != "12" ||
		!slices.Equal(leg.Users, []string{testAccount + "w0", testAccount + "w1"}) {
		t.Errorf("second leg %+v, first %+v", leg, orig)
	}
	if h := second[2].Call; h.ID != leg.ID || h.OrigID != orig.ID || h.Cause != CauseCallerHangup {
		t.Errorf("second leg's hangup %+v", h)
	}
	e.settle()
	if r := e.records()[0]; r.AnsweredBy != device(1) || r.To != "12" {
		t.Errorf("record answered by %q, to %q; want %s, 12", r.AnsweredBy, r.To, device(1))
	}
}

// TestForwardRules: always forwards before ringing, busy on 486,
// unavailable when no phone of the user is registered.
func TestForwardRules(t *testing.T) {
	for _, when := range []string{"always", "busy", "unavailable"} {
		t.Run(when, func(t *testing.T) {
			e := newEnv(t, options{world: func(w *world) {
				w.users["w2"].Forwarding = []model.Forward{{When: when, Target: "11"}}
			}})
			caller, w1 := e.newPhone(0), e.newPhone(1)
			caller.register()
			w1.register()
			w2 := e.newPhone(3)
			if when != "unavailable" {
				w2.register()
			}
			w2.setMode(busy)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			s, err := caller.call(ctx, "12")
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			w1.next("answered")
			if when == "always" && !w2.quiet("invite") {
				t.Error("always: w2's phone rang")
			}
			_ = s.Bye(ctx)
			w1.next("bye")
			e.callEvents()
			e.settle()
		})
	}
}

// TestCancelByCaller: the caller gives up while the callee rings; the
// callee gets CANCEL, the caller 487.
func TestCancelByCaller(t *testing.T) {
	e := newEnv(t, options{})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	callee.setMode(ringForever)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := caller.call(ctx, "12")
		done <- err
	}()
	callee.next("invite")
	// sipgo's UAC sends the CANCEL once a provisional response arrived.
	cancel()
	callee.next("cancel")
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("caller did not finish")
	}
	evs := e.callEvents()
	if c := evs[len(evs)-1].Call.Cause; c != CauseCancelled {
		t.Errorf("cause %q", c)
	}
	e.settle()
	if r := e.records()[0]; r.Status != sip.StatusRequestTerminated {
		t.Errorf("record status %d", r.Status)
	}
}

// TestByeFromCallee: the callee hangs up; the caller gets BYE.
func TestByeFromCallee(t *testing.T) {
	e := newEnv(t, options{})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := caller.call(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	callee.next("answered")
	if err := callee.answeredDialog().Bye(ctx); err != nil {
		t.Fatalf("callee BYE: %v", err)
	}
	caller.next("bye")
	evs := e.callEvents()
	if c := evs[len(evs)-1].Call.Cause; c != CauseCalleeHangup {
		t.Errorf("cause %q", c)
	}
	e.settle()
}

// TestReinviteHold: the caller puts the call on hold and resumes it; each
// re-INVITE reaches the callee with the relay's address and the
// direction the caller asked for.
func TestReinviteHold(t *testing.T) {
	e := newEnv(t, options{})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatal(err)
	}
	first := relayAddr(t, callee.next("invite").Body())
	callee.next("answered")
	for _, dir := range []string{"sendonly", "sendrecv"} {
		req := sip.NewRequest(sip.INVITE, s.InviteResponse.Contact().Address)
		ct := sip.ContentTypeHeader("application/sdp")
		req.AppendHeader(&ct)
		req.SetBody(caller.sdp(dir))
		res, err := s.Do(ctx, req)
		if err != nil || res.StatusCode != sip.StatusOK {
			t.Fatalf("re-INVITE %s: %v %v", dir, err, res)
		}
		ack := sip.NewRequest(sip.ACK, s.InviteResponse.Contact().Address)
		ack.AppendHeader(sip.HeaderClone(req.CSeq()))
		ack.CSeq().MethodName = sip.ACK
		if err := s.WriteRequest(ack); err != nil {
			t.Fatal(err)
		}
		in := callee.next("reinvite")
		info, err := parseSDP(in.Body())
		if err != nil || info.Addr != first || info.Direction != dir {
			t.Errorf("callee got %v %s (%v), want %v %s", info.Addr, info.Direction, err, first, dir)
		}
		if a := relayAddr(t, res.Body()); a == first {
			t.Errorf("caller got the callee side's relay address %v", a)
		}
	}
	_ = s.Bye(ctx)
	callee.next("bye")
	e.callEvents()
	e.settle()
}

// TestMediaTimeout: a call where no phone sends RTP ends when the relay
// times out: both phones get BYE.
func TestMediaTimeout(t *testing.T) {
	e := newEnv(t, options{media: func(c *media.Config) { c.RTPTimeout = 500 * time.Millisecond }})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := caller.call(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	caller.next("bye")
	callee.next("bye")
	evs := e.callEvents()
	if c := evs[len(evs)-1].Call.Cause; c != CauseMediaTimeout {
		t.Errorf("cause %q", c)
	}
	e.settle()
}

// TestShutdownEndsCalls: when the node stops, an answered call gets BYE
// on both legs and a ringing one 503 toward the caller and CANCEL toward
// the callee.
func TestShutdownEndsCalls(t *testing.T) {
	e := newEnv(t, options{})
	a, b, c, d := e.newPhone(0), e.newPhone(3), e.newPhone(1), e.newPhone(2)
	for _, p := range []*testPhone{a, b, c, d} {
		p.register()
	}
	c.setMode(ringForever)
	d.setMode(ringForever)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := a.call(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	b.next("answered")
	ringing := make(chan error, 1)
	go func() {
		_, err := b.call(ctx, "11")
		ringing <- err
	}()
	c.next("invite")
	d.next("invite")
	e.stopCalls()
	a.next("bye")
	b.next("bye")
	c.next("cancel")
	if err := <-ringing; status(err) != sip.StatusServiceUnavailable {
		t.Errorf("ringing call: %v, want 503", err)
	}
	if n := e.router.Active(); n != 0 {
		t.Errorf("%d calls left", n)
	}
}

// TestAuthorization: a wrong password is challenged again, a disabled
// phone and a locked user are refused, and emergency numbers go through
// for them all the same.
func TestAuthorization(t *testing.T) {
	e := newEnv(t, options{
		trunk: &trunkBehavior{mode: answerNow},
		world: func(w *world) {
			w.phones[1].Enabled = false
			w.users["w2"].Locked = true
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	wrong := e.newPhoneAs(device(0), "not-the-password")
	if _, err := wrong.call(ctx, "12"); status(err) != sip.StatusProxyAuthRequired {
		t.Errorf("wrong password: %v, want 407", err)
	}
	for _, n := range []int{1, 3} {
		p := e.newPhone(n)
		if _, err := p.call(ctx, "10"); status(err) != sip.StatusForbidden {
			t.Errorf("phone %d: %v, want 403", n, err)
		}
		s, err := p.call(ctx, "112")
		if err != nil {
			t.Fatalf("phone %d, 112: %v", n, err)
		}
		if got := e.trunk.next().Recipient.User; got != "112" {
			t.Errorf("trunk got %q", got)
		}
		_ = s.Bye(ctx)
		e.callEvents()
		e.settle()
	}
}

// TestDTMFInfo: DTMF the caller sends with SIP INFO reaches the callee and
// becomes an event between answer and hangup.
func TestDTMFInfo(t *testing.T) {
	e := newEnv(t, options{})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatal(err)
	}
	callee.next("answered")
	req := sip.NewRequest(sip.INFO, s.InviteResponse.Contact().Address)
	ct := sip.ContentTypeHeader("application/dtmf-relay")
	req.AppendHeader(&ct)
	req.SetBody([]byte("Signal=5\r\nDuration=160\r\n"))
	if res, err := s.Do(ctx, req); err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("INFO: %v %v", err, res)
	}
	if got := string(callee.next("info").Body()); !strings.Contains(got, "Signal=5") {
		t.Errorf("callee got %q", got)
	}
	_ = s.Bye(ctx)
	evs := e.callEvents()
	if got := types(evs); !slices.Equal(got, []events.Type{events.NewCall, events.Answer, events.DTMF, events.Hangup}) || evs[2].Call.Digits != "5" {
		t.Errorf("events %v (%+v)", got, evs[2].Call)
	}
	e.settle()
}

func TestDTMFDigits(t *testing.T) {
	tests := []struct{ ct, body, want string }{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5"},
		{"Application/DTMF-Relay; charset=x", "signal= #\nDuration=100", "#"},
		{"application/dtmf", "*", "*"},
		{"application/dtmf", "12", ""},
		{"application/sdp", "Signal=5", ""},
		{"application/dtmf-relay", "Signal=x", ""},
	}
	for _, tt := range tests {
		if got := dtmfDigits(tt.ct, []byte(tt.body)); got != tt.want {
			t.Errorf("dtmfDigits(%q, %q) = %q, want %q", tt.ct, tt.body, got, tt.want)
		}
	}
}

// TestAdvertise: behind one-to-one NAT the B2BUA names the public address
// in the Via and Contact of what it sends, on the node's port; phones
// answer to the request's source (rport) either way. The test's phones
// cannot reach the public address, so the caller gives up while the
// callee rings.
func TestAdvertise(t *testing.T) {
	public := netip.MustParseAddr("192.0.2.10")
	e := newEnv(t, options{config: func(c *Config) { c.Advertise = public }})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	callee.setMode(ringForever)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := caller.call(ctx, "12")
		done <- err
	}()
	inv := callee.next("invite")
	port := netip.MustParseAddrPort(e.node.UDPAddr().String()).Port()
	if v := inv.Via(); v.Host != public.String() || v.Port != int(port) {
		t.Errorf("Via %s, want %s:%d", v.Value(), public, port)
	}
	if c := inv.Contact(); c.Address.Host != public.String() || c.Address.Port != int(port) {
		t.Errorf("Contact %s, want %s:%d", c.Value(), public, port)
	}
	cancel()
	callee.next("cancel")
	<-done
	e.callEvents()
}
