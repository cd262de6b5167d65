package calls

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/switchboard/switchboard/events"
)

// TestCallByExtension: w0's phone dials 12 (w2): the INVITE is challenged
// with 407, the B2BUA rings e3 with the relay's address in the SDP, the
// answer reaches the caller with the relay's other address, RTP flows
// both ways through the relay, the caller hangs up, and the record and
// the events are written.
func TestCallByExtension(t *testing.T) {
	e := newEnv(t, options{})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	caller.mu.Lock()
	got := slices.Clone(caller.statuses)
	caller.mu.Unlock()
	if len(got) < 2 || got[0] != sip.StatusProxyAuthRequired || got[len(got)-1] != sip.StatusOK {
		t.Errorf("caller saw %v, want 407 first and 200 last", got)
	}
	inv := callee.next("invite")
	if got := inv.From().Address.User; got != "10" {
		t.Errorf("callee sees caller %q, want extension 10", got)
	}
	if got := inv.From().DisplayName; got != "User w0" {
		t.Errorf("callee sees name %q, want User w0", got)
	}
	toCallee := relayAddr(t, inv.Body())
	toCaller := relayAddr(t, s.InviteResponse.Body())
	if toCallee == toCaller || toCallee.Port() == 0 || toCaller.Port() == 0 {
		t.Fatalf("relay addresses: caller side %v, callee side %v", toCaller, toCallee)
	}
	if info, _ := parseSDP(inv.Body()); !slices.Equal(info.Formats, []string{"0", "8", "101"}) {
		t.Errorf("callee offered %v, want the caller's 0 8 101", info.Formats)
	}
	callee.next("answered")

	// Media: the caller sends to the relay's caller-side address and the
	// callee receives it; then the other way.
	sendRTP(t, caller.rtp, toCaller, 3)
	expectRTP(t, callee.rtp)
	sendRTP(t, callee.rtp, toCallee, 3)
	expectRTP(t, caller.rtp)

	if err := s.Bye(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
	callee.next("bye")
	evs := e.callEvents()
	if got := types(evs); !slices.Equal(got, []events.Type{events.NewCall, events.Answer, events.Hangup}) {
		t.Fatalf("events %v", got)
	}
	last := evs[2].Call
	if last.Cause != CauseCallerHangup || last.Direction != DirectionInternal || last.From != "492111234560" || last.To != "12" {
		t.Errorf("hangup event %+v", last)
	}
	e.settle()
	recs := e.records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.AnsweredBy != device(3) || r.Caller != device(0) || r.Answer == nil || r.Status != 200 ||
		!slices.Contains(r.Users, testAccount+"w2") || !slices.Contains(r.Devices, device(3)) {
		t.Errorf("record %+v", r)
	}
	if r.Media.CalleeOut == 0 || r.Media.CallerOut == 0 {
		t.Errorf("record media %+v: RTP did not flow both ways", r.Media)
	}
}

// sendRTP sends n PCMU packets from conn to addr.
func sendRTP(t *testing.T, conn *net.UDPConn, to interface{ String() string }, n int) {
	t.Helper()
	addr, err := net.ResolveUDPAddr("udp4", to.String())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i + 1),
			Timestamp: uint32(160 * i), SSRC: 0x5157}, Payload: make([]byte, 160)}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.WriteToUDP(b, addr); err != nil {
			t.Fatal(err)
		}
	}
}

// expectRTP waits for one RTP packet on conn.
func expectRTP(t *testing.T, conn *net.UDPConn) {
	t.Helper()
	buf := make([]byte, 1500)
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	defer conn.SetReadDeadline(time.Time{})
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no RTP: %v", err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil || p.PayloadType != 0 {
		t.Fatalf("not our RTP: %v", err)
	}
}
