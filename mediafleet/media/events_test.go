package media

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// A watched leg reports each telephone event once, however many packets
// carry it, and even while the other leg has no phone yet (an IVR that
// collects digits before anyone is rung); packets of other payload types
// and of an unwatched leg report nothing.
func TestWatchEvents(t *testing.T) {
	e := newEnv(t, nil)
	a := e.phone()
	s := e.open()
	if err := s.Leg(A).SetRemote(a.addr()); err != nil {
		t.Fatal(err)
	}
	got := make(chan uint8, 16)
	s.Leg(A).WatchEvents(101, func(code uint8) { got <- code })
	s.Leg(B).WatchEvents(101, func(code uint8) { t.Errorf("leg B reported event %d", code) })
	event := func(seq uint16, ts uint32, code uint8, end bool) []byte {
		flags := byte(10)
		if end {
			flags |= 0x80
		}
		return marshal(rtp.Header{Version: 2, PayloadType: 101, Marker: seq == 1, SequenceNumber: seq, Timestamp: ts, SSRC: 0xabc},
			[]byte{code, flags, 0x01, 0x40})
	}
	local := s.Leg(A).Local()
	seq := uint16(0)
	next := func() uint16 { seq++; return seq }
	for _, ev := range []struct {
		ts   uint32
		code uint8
	}{{8000, 1}, {9600, 11}, {11200, 1}} {
		for i := range 5 {
			send(t, a.rtp, event(next(), ev.ts, ev.code, i >= 2), local)
		}
		send(t, a.rtp, g711(0, next(), 0xabc), local)
	}
	until(t, s, "the packets", func(st Stats) bool { return st.A.PacketsIn == 18 })
	var codes []uint8
	for len(codes) < 3 {
		select {
		case c := <-got:
			codes = append(codes, c)
		case <-time.After(wait):
			t.Fatalf("events %v, want 3", codes)
		}
	}
	if !bytes.Equal(codes, []byte{1, 11, 1}) {
		t.Errorf("events %v, want [1 11 1]", codes)
	}
	select {
	case c := <-got:
		t.Errorf("extra event %d", c)
	default:
	}
	s.Leg(A).WatchEvents(101, nil)
	send(t, a.rtp, event(next(), 12800, 5, false), local)
	until(t, s, "the last packet", func(st Stats) bool { return st.A.PacketsIn == 19 })
	select {
	case c := <-got:
		t.Errorf("event %d after the watch stopped", c)
	default:
	}
	if d := EventDigit(11); d != '#' {
		t.Errorf("EventDigit(11) = %q", d)
	}
	if d := EventDigit(16); d != 0 {
		t.Errorf("EventDigit(16) = %q", d)
	}
}

// Send reaches the leg's phone from the leg's own address, and refuses
// before the phone's address is usable.
func TestSend(t *testing.T) {
	e := newEnv(t, nil)
	a := e.phone()
	s := e.open()
	pkt := g711(8, 1, 42)
	if s.Leg(A).Send(pkt) {
		t.Fatal("Send before SetRemote succeeded")
	}
	if err := s.Leg(A).SetRemote(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.7"), 4000)); err != nil {
		t.Fatal(err)
	}
	if s.Leg(A).Send(pkt) {
		t.Fatal("Send to an unlatched private address succeeded")
	}
	if err := s.Leg(A).SetRemote(a.addr()); err != nil {
		t.Fatal(err)
	}
	if !s.Leg(A).Send(pkt) {
		t.Fatal("Send failed")
	}
	got, from := recv(t, a.rtp)
	if !bytes.Equal(got, pkt) || from != s.Leg(A).Local() {
		t.Errorf("phone got %d octets from %v, want the packet from %v", len(got), from, s.Leg(A).Local())
	}
}
