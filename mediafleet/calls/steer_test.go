package calls

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
)

// steerer is an integration as the router sees it: it answers newCall
// and a Gather's digits as the test says, and serves one prompt.
type steerer struct {
	newCall  func(events.Event) *webhook.Response
	gathered func(digits, onData string) *webhook.Response
	audio    []int16
	delay    time.Duration // before newCall answers, unless the context ends

	mu     sync.Mutex
	seen   []events.Event
	digits chan string
}

func (s *steerer) NewCall(ctx context.Context, ev events.Event) (*webhook.Response, error) {
	s.mu.Lock()
	s.seen = append(s.seen, ev)
	s.mu.Unlock()
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.newCall == nil {
		return nil, nil
	}
	return s.newCall(ev), nil
}

func (s *steerer) Gathered(_ context.Context, ev events.Event, onData string) (*webhook.Response, error) {
	if s.digits != nil {
		s.digits <- ev.Call.Digits
	}
	if s.gathered == nil {
		return nil, nil
	}
	return s.gathered(ev.Call.Digits, onData), nil
}

func (s *steerer) Audio(context.Context, string) ([]int16, error) { return s.audio, nil }

// Reject and Hangup settle a call before anything rings; the caller gets
// the status the verb names and the hangup event its cause.
func TestSteerRefuses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		verb   webhook.Verb
		status int
		cause  string
	}{
		{"reject busy", webhook.Reject{Reason: "busy"}, sip.StatusBusyHere, CauseBusy},
		{"reject", webhook.Reject{Reason: "rejected"}, 603, CauseDeclined},
		{"hangup", webhook.Hangup{}, 603, CauseHungUp},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &steerer{newCall: func(events.Event) *webhook.Response { return &webhook.Response{Verb: tt.verb} }}
			e := newEnv(t, options{steer: st})
			caller, callee := e.newPhone(0), e.newPhone(3)
			caller.register()
			callee.register()
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			_, err := caller.call(ctx, "12")
			if got := status(err); got != tt.status {
				t.Fatalf("caller got %d (%v), want %d", got, err, tt.status)
			}
			evs := e.callEvents()
			if !slices.Equal(types(evs), []events.Type{events.NewCall, events.Hangup}) || evs[1].Call.Cause != tt.cause {
				t.Errorf("events %v, cause %q; want newCall, hangup %q", types(evs), evs[1].Call.Cause, tt.cause)
			}
			if !callee.quiet("invite") {
				t.Error("the callee rang")
			}
			if len(st.seen) != 1 || st.seen[0].Type != events.NewCall || st.seen[0].ID != evs[0].ID {
				t.Errorf("the integration saw %+v", st.seen)
			}
		})
	}
}

// Dial rings the numbers it names in parallel instead of the routed
// target: extensions 11 (w1: e1, e2) and 12 (w2: e3) for a call to 10.
func TestSteerDial(t *testing.T) {
	st := &steerer{newCall: func(events.Event) *webhook.Response {
		return &webhook.Response{Verb: webhook.Dial{Numbers: []string{"11", "12"}}}
	}}
	e := newEnv(t, options{steer: st})
	caller, routed := e.newPhone(1), e.newPhone(0)
	rung := []*testPhone{e.newPhone(2), e.newPhone(3)}
	for _, p := range append([]*testPhone{caller, routed}, rung...) {
		p.register()
	}
	rung[0].setMode(ringForever)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "10")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	rung[0].next("invite")
	rung[1].next("answered")
	rung[0].next("cancel")
	if !routed.quiet("invite") {
		t.Error("the routed target rang")
	}
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	rung[1].next("bye")
	evs := e.callEvents()
	if evs[1].Type != events.Answer || evs[1].Call.Answered != device(3) {
		t.Errorf("answer event %+v", evs[1])
	}
}

// Dial's caller id and anonymous apply to the call it rings out.
func TestSteerDialPresentation(t *testing.T) {
	st := &steerer{}
	e := newEnv(t, options{steer: st, trunk: &trunkBehavior{mode: answerNow}})
	caller := e.newPhone(0)
	caller.register()
	for _, tt := range []struct {
		name    string
		dial    webhook.Dial
		from    string
		privacy bool
	}{
		{"caller id", webhook.Dial{Numbers: []string{"493012345678"}, CallerID: "492111234561"}, numW1, false},
		{"anonymous", webhook.Dial{Numbers: []string{"493012345678"}, Anonymous: true}, "anonymous", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st.newCall = func(events.Event) *webhook.Response { return &webhook.Response{Verb: tt.dial} }
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			s, err := caller.call(ctx, "11")
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			inv := e.trunk.next()
			if inv.Recipient.User != numOutside || inv.From().Address.User != tt.from || (inv.GetHeader("Privacy") != nil) != tt.privacy {
				t.Errorf("trunk got %s from %s (privacy %v)", inv.Recipient.User, inv.From().Address.User, inv.GetHeader("Privacy"))
			}
			if err := s.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			e.callEvents()
		})
	}
}

// An integration that does not answer in time holds the call no longer
// than SteerTimeout: it rings as routed.
func TestSteerTimeout(t *testing.T) {
	st := &steerer{delay: time.Minute, newCall: func(events.Event) *webhook.Response {
		return &webhook.Response{Verb: webhook.Reject{Reason: "busy"}}
	}}
	e := newEnv(t, options{steer: st, config: func(c *Config) { c.SteerTimeout = 300 * time.Millisecond }})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	callee.next("answered")
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	callee.next("bye")
	e.callEvents()
}

// Play sends the prompt to the caller as early media (a 183 with the
// relay's address), then the call rings as routed; the 200 repeats the
// 183's description.
func TestSteerPlay(t *testing.T) {
	prompt := make([]int16, 8*160) // 160 ms
	for i := range prompt {
		prompt[i] = int16((i % 40) * 500)
	}
	st := &steerer{audio: prompt, newCall: func(events.Event) *webhook.Response {
		return &webhook.Response{Verb: webhook.Play{URL: "http://127.0.0.1/prompt.wav"}}
	}}
	e := newEnv(t, options{steer: st})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if !slices.Contains(caller.statuses, 183) {
		t.Errorf("caller saw %v, want a 183", caller.statuses)
	}
	pkts := readRTP(t, caller.rtp, 8)
	for i, p := range pkts {
		if p.PayloadType != 0 || len(p.Payload) != frameSamples || i > 0 && p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: pt %d, %d octets, seq %d", i, p.PayloadType, len(p.Payload), p.SequenceNumber)
		}
	}
	if pkts[0].Payload[1] != linearToULaw(prompt[1]) {
		t.Errorf("payload %x, want the prompt in PCMU", pkts[0].Payload[:4])
	}
	inv := callee.next("invite")
	if info, err := parseSDP(inv.Body()); err != nil || !slices.Equal(info.Formats, []string{"0", "101"}) {
		t.Errorf("callee offered %v (%v), want the caller's codec only", info.Formats, err)
	}
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	e.callEvents()
}

// Gather answers the call, collects the digits the caller sends as RFC
// 4733 events, posts them, and follows the answer: here a Dial, which
// rings and connects without a second 200 to the caller.
func TestSteerGather(t *testing.T) {
	st := &steerer{digits: make(chan string, 1),
		newCall: func(events.Event) *webhook.Response {
			return &webhook.Response{Verb: webhook.Gather{OnData: "http://127.0.0.1/ivr", MaxDigits: 2, Timeout: 2 * time.Second}}
		},
		gathered: func(digits, onData string) *webhook.Response {
			if digits != "4#" || onData != "http://127.0.0.1/ivr" {
				return &webhook.Response{Verb: webhook.Hangup{}}
			}
			return &webhook.Response{Verb: webhook.Dial{Numbers: []string{"12"}}}
		}}
	e := newEnv(t, options{steer: st})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "11")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	relay := relayAddr(t, s.InviteResponse.Body())
	for i, code := range []byte{4, 11} {
		for n := range 4 {
			h := rtp.Header{Version: 2, PayloadType: 101, Marker: n == 0, SequenceNumber: uint16(10*i + n),
				Timestamp: uint32(8000 * (i + 1)), SSRC: 77}
			pkt, _ := (&rtp.Packet{Header: h, Payload: []byte{code, 10, 0, 160}}).Marshal()
			if _, err := caller.rtp.WriteToUDPAddrPort(pkt, relay); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case d := <-st.digits:
		if d != "4#" {
			t.Fatalf("gathered %q, want 4#", d)
		}
	case <-time.After(wait):
		t.Fatal("no digits gathered")
	}
	callee.next("answered")
	// The caller, answered by the B2BUA already, could hang up in the
	// instant between the callee's answer and the call's: wait for the
	// answer event first.
	if ev := e.event(); ev.Type != events.NewCall {
		t.Fatalf("first event %s", ev.Type)
	}
	if ev := e.event(); ev.Type != events.Answer || ev.Call.Answered != device(3) {
		t.Fatalf("second event %s %+v, want the answer by %s", ev.Type, ev.Call, device(3))
	}
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	callee.next("bye")
	if ev := e.event(); ev.Type != events.Hangup || ev.Call.Cause != CauseCallerHangup || ev.Call.Answered != device(3) {
		t.Errorf("hangup %s %+v", ev.Type, ev.Call)
	}
}

// readRTP reads n RTP packets from c.
func readRTP(t *testing.T, c *net.UDPConn, n int) []rtp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	var out []rtp.Packet
	for len(out) < n {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		k, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("after %d RTP packets: %v", len(out), err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:k]...)); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}
