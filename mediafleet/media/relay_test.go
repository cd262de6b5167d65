package media

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestRelayBothWays has two phones exchange packets through a session in
// both directions; every packet must arrive byte for byte as sent, from
// the relay's address of the receiving leg.
func TestRelayBothWays(t *testing.T) {
	dtmf := func(seq uint16, end bool) []byte {
		// RFC 4733: event 5, end bit, volume 10, duration 800.
		flags := byte(10)
		if end {
			flags |= 0x80
		}
		return marshal(rtp.Header{Version: 2, PayloadType: 101, Marker: seq == 1, SequenceNumber: seq, Timestamp: 8000, SSRC: 0xd7f},
			[]byte{5, flags, 0x03, 0x20})
	}
	withExtras := func() []byte {
		h := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 9, Timestamp: 1440, SSRC: 7, CSRC: []uint32{1, 2, 3}}
		if err := h.SetExtension(1, []byte{0xaa}); err != nil {
			t.Fatal(err)
		}
		return marshal(h, make([]byte, 160))
	}
	padded := func() []byte {
		pkt := g711(8, 4, 5)
		pkt[0] |= 0x20
		return append(pkt, 0, 0, 0, 4)
	}
	tests := []struct {
		name string
		pkts [][]byte
		lost uint64 // by sequence gaps
	}{
		{"PCMU", [][]byte{g711(0, 65533, 0x1111), g711(0, 65534, 0x1111), g711(0, 65535, 0x1111), g711(0, 0, 0x1111), g711(0, 1, 0x1111)}, 0},
		{"PCMA with a gap", [][]byte{g711(8, 100, 0xfeedbeef), g711(8, 101, 0xfeedbeef), g711(8, 103, 0xfeedbeef)}, 1},
		{"telephone-event", [][]byte{dtmf(1, false), dtmf(2, false), dtmf(3, true), dtmf(4, true), dtmf(5, true)}, 0},
		{"CSRC and extension", [][]byte{withExtras()}, 0},
		{"padding", [][]byte{padded()}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a, b := e.phone(), e.phone()
			s := e.connect(a, b)
			for _, dir := range []struct {
				name     string
				from, to *phone
				in, out  *Leg
			}{
				{"a to b", a, b, s.Leg(A), s.Leg(B)},
				{"b to a", b, a, s.Leg(B), s.Leg(A)},
			} {
				for i, pkt := range tt.pkts {
					send(t, dir.from.rtp, pkt, dir.in.Local())
					got, from := recv(t, dir.to.rtp)
					if !bytes.Equal(got, pkt) {
						t.Fatalf("%s: packet %d changed:\n got %x\nwant %x", dir.name, i, got, pkt)
					}
					if from != dir.out.Local() {
						t.Fatalf("%s: packet %d came from %v, want the relay's %v", dir.name, i, from, dir.out.Local())
					}
				}
			}
			// The relay counts a packet sent after the phone may have
			// read it, so the counts are awaited.
			n := uint64(len(tt.pkts))
			st := until(t, s, "all packets counted", func(st Stats) bool {
				return st.A.PacketsOut == n && st.B.PacketsOut == n
			})
			for _, leg := range []LegStats{st.A, st.B} {
				if leg.PacketsIn != n || !leg.Latched || leg.Lost != tt.lost {
					t.Errorf("leg stats: %+v, want %d packets in, latched, %d lost", leg, n, tt.lost)
				}
				if leg.LastSeen.IsZero() {
					t.Error("LastSeen is zero after packets")
				}
			}
			if st.A.Remote != a.addr() || st.B.Remote != b.addr() {
				t.Errorf("remotes %v %v, want %v %v", st.A.Remote, st.B.Remote, a.addr(), b.addr())
			}
		})
	}
}

// TestLatching checks which first sources latch a leg, where the relay
// sends before and after, and that other sources are dropped afterwards.
func TestLatching(t *testing.T) {
	tests := []struct {
		name string
		// sdp is the address the leg's phone wrote, given the phone's
		// actual address and a spare port on loopback that nobody reads.
		sdp        func(actual, spare netip.AddrPort) netip.AddrPort
		wantLatch  bool
		wantBefore bool // B's packets reach the SDP address before A sends
	}{
		{"same address", func(actual, _ netip.AddrPort) netip.AddrPort { return actual }, true, true},
		{"NAT moved the port", func(_, spare netip.AddrPort) netip.AddrPort { return spare }, true, true},
		{"private SDP address", func(_, _ netip.AddrPort) netip.AddrPort { return netip.MustParseAddrPort("10.20.30.40:4000") }, true, false},
		{"c=0.0.0.0", func(_, _ netip.AddrPort) netip.AddrPort { return netip.MustParseAddrPort("0.0.0.0:4000") }, true, false},
		{"other public IP", func(_, spare netip.AddrPort) netip.AddrPort {
			return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), spare.Port())
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a, b, spare := e.phone(), e.phone(), e.phone()
			s := e.open()
			sdp := tt.sdp(a.addr(), spare.addr())
			if err := s.Leg(A).SetRemote(sdp); err != nil {
				t.Fatal(err)
			}
			if err := s.Leg(B).SetRemote(b.addr()); err != nil {
				t.Fatal(err)
			}

			// B talks first: toward A's SDP address if it is reachable,
			// held back otherwise.
			send(t, b.rtp, g711(0, 1, 2), s.Leg(B).Local())
			if tt.wantBefore {
				st := until(t, s, "B's first packet sent", func(st Stats) bool { return st.A.PacketsOut == 1 })
				if st.A.Unrouted+st.B.Unrouted != 0 {
					t.Fatalf("unrouted before latching: %+v", st)
				}
				switch sdp {
				case spare.addr():
					recv(t, spare.rtp)
				case a.addr():
					recv(t, a.rtp)
				}
			} else {
				until(t, s, "B's first packet held back", func(st Stats) bool { return st.B.Unrouted == 1 })
			}

			// A sends from its actual address.
			send(t, a.rtp, g711(0, 1, 1), s.Leg(A).Local())
			if !tt.wantLatch {
				st := until(t, s, "A's packet dropped", func(st Stats) bool { return st.A.Stray == 1 })
				if st.A.Latched || st.A.PacketsIn != 0 {
					t.Fatalf("latched to a source of another IP: %+v", st.A)
				}
				return
			}
			recv(t, b.rtp)
			st := s.Stats()
			if !st.A.Latched || st.A.Remote != a.addr() {
				t.Fatalf("A: latched %v to %v, want %v", st.A.Latched, st.A.Remote, a.addr())
			}
			send(t, b.rtp, g711(0, 2, 2), s.Leg(B).Local())
			if got, _ := recv(t, a.rtp); !bytes.Equal(got, g711(0, 2, 2)) {
				t.Fatalf("A got %x", got)
			}

			// A stranger on A's port, after latching: dropped.
			stranger := e.phone()
			send(t, stranger.rtp, g711(0, 99, 99), s.Leg(A).Local())
			until(t, s, "the stranger dropped", func(st Stats) bool { return st.A.Stray == 1 })
			send(t, a.rtp, g711(0, 2, 1), s.Leg(A).Local())
			if got, _ := recv(t, b.rtp); !bytes.Equal(got, g711(0, 2, 1)) {
				t.Fatalf("B got %x, want A's second packet", got)
			}
		})
	}
}

// TestBeforeSetRemote drops what arrives on a leg nobody was announced for.
func TestBeforeSetRemote(t *testing.T) {
	e := newEnv(t, nil)
	a := e.phone()
	s := e.open()
	send(t, a.rtp, g711(0, 1, 1), s.Leg(A).Local())
	send(t, a.rtcp, receiverReport(1), rtcpOf(s.Leg(A).Local()))
	until(t, s, "both dropped", func(st Stats) bool { return st.A.Stray == 2 })
}

// TestReInvite moves leg A to another phone address with SetRemote; the
// old source becomes a stranger. SetRemote with the same address keeps
// the latch.
func TestReInvite(t *testing.T) {
	e := newEnv(t, nil)
	a, b, moved := e.phone(), e.phone(), e.phone()
	s := e.connect(a, b)
	send(t, a.rtp, g711(0, 1, 1), s.Leg(A).Local())
	recv(t, b.rtp)

	// A session refresh: same SDP, the latch stays.
	if err := s.Leg(A).SetRemote(a.addr()); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); !st.A.Latched {
		t.Fatal("SetRemote with the same address dropped the latch")
	}

	if err := s.Leg(A).SetRemote(moved.addr()); err != nil {
		t.Fatal(err)
	}
	send(t, a.rtp, g711(0, 2, 1), s.Leg(A).Local()) // same IP, not latched yet: latches
	recv(t, b.rtp)
	if err := s.Leg(A).SetRemote(netip.AddrPortFrom(loopback, moved.addr().Port()+100)); err != nil {
		t.Fatal(err)
	}
	send(t, moved.rtp, g711(0, 1, 3), s.Leg(A).Local())
	recv(t, b.rtp)
	send(t, b.rtp, g711(0, 1, 2), s.Leg(B).Local())
	recv(t, moved.rtp)
	send(t, a.rtp, g711(0, 3, 1), s.Leg(A).Local())
	until(t, s, "the old source dropped", func(st Stats) bool { return st.A.Stray == 1 })

	for _, bad := range []netip.AddrPort{{}, s.Leg(A).Local(), rtcpOf(s.Leg(A).Local())} {
		if err := s.Leg(A).SetRemote(bad); err == nil {
			t.Errorf("SetRemote(%v) accepted", bad)
		}
	}
	// Port 0: the stream was declined; nothing passes.
	if err := s.Leg(A).SetRemote(netip.AddrPortFrom(loopback, 0)); err != nil {
		t.Fatal(err)
	}
	send(t, moved.rtp, g711(0, 2, 3), s.Leg(A).Local())
	until(t, s, "declined stream dropped", func(st Stats) bool { return st.A.Stray == 2 })
}

// TestRTCP relays RTCP between the odd ports, both ways.
func TestRTCP(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.phone(), e.phone()
	s := e.connect(a, b)
	sr := []byte{0x80, 200, 0, 6, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 11}
	for _, dir := range []struct {
		from, to *phone
		in, out  *Leg
		pkt      []byte
	}{
		{a, b, s.Leg(A), s.Leg(B), sr},
		{b, a, s.Leg(B), s.Leg(A), receiverReport(2)},
	} {
		send(t, dir.from.rtcp, dir.pkt, rtcpOf(dir.in.Local()))
		got, from := recv(t, dir.to.rtcp)
		if !bytes.Equal(got, dir.pkt) || from != rtcpOf(dir.out.Local()) {
			t.Fatalf("got %x from %v, want %x from %v", got, from, dir.pkt, rtcpOf(dir.out.Local()))
		}
	}
	st := until(t, s, "RTCP counted", func(st Stats) bool { return st.A.RTCPOut == 1 })
	if st.A.RTCPIn != 1 || st.B.RTCPOut != 1 || st.B.RTCPIn != 1 || st.A.PacketsIn != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestMalformed sends packets that fail the header checks; each is dropped
// and counted, and the next good packet is the first to arrive.
func TestMalformed(t *testing.T) {
	good := g711(0, 1, 1)
	with := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		rtcp bool
		pkt  []byte
	}{
		{"empty", false, nil},
		{"short header", false, good[:11]},
		{"version 1", false, with(func(p []byte) []byte { p[0] = 0x40; return p })},
		{"version 0 (STUN-like)", false, with(func(p []byte) []byte { p[0] = 0x00; return p })},
		{"CSRC count beyond the packet", false, with(func(p []byte) []byte { p[0] |= 0x0f; return p[:40] })},
		{"extension header cut", false, with(func(p []byte) []byte { p[0] |= 0x10; return p[:14] })},
		{"extension beyond the packet", false, with(func(p []byte) []byte { p[0] |= 0x10; p[14], p[15] = 0xff, 0xff; return p })},
		{"padding zero", false, with(func(p []byte) []byte { p[0] |= 0x20; p[len(p)-1] = 0; return p })},
		{"padding beyond the payload", false, with(func(p []byte) []byte { p[0] |= 0x20; p[len(p)-1] = 200; return p })},
		{"too long", false, append(append([]byte(nil), good...), make([]byte, 1500)...)},
		{"RTCP short", true, []byte{0x80, 201, 0, 1}},
		{"RTCP version 1", true, []byte{0x40, 201, 0, 1, 0, 0, 0, 1}},
		{"RTCP packet type out of range", true, []byte{0x80, 100, 0, 1, 0, 0, 0, 1}},
		{"RTCP length beyond the packet", true, []byte{0x80, 201, 0, 9, 0, 0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a, b := e.phone(), e.phone()
			s := e.connect(a, b)
			from, to, relay, want := a.rtp, b.rtp, s.Leg(A).Local(), good
			if tt.rtcp {
				from, to, relay, want = a.rtcp, b.rtcp, rtcpOf(relay), receiverReport(1)
			}
			send(t, from, tt.pkt, relay)
			until(t, s, "malformed counted", func(st Stats) bool { return st.A.Malformed == 1 })
			send(t, from, want, relay)
			if got, _ := recv(t, to); !bytes.Equal(got, want) {
				t.Fatalf("first packet at B is %x, want the good one", got)
			}
			if st := s.Stats(); st.A.PacketsIn+st.A.RTCPIn != 1 || st.A.Stray != 0 {
				t.Errorf("stats %+v", st.A)
			}
		})
	}
}

// TestHold stops RTP toward the held leg only; RTCP and the other
// direction go on, and resuming restores it.
func TestHold(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.phone(), e.phone()
	s := e.connect(a, b)
	s.Leg(B).SetHold(true)

	send(t, a.rtp, g711(0, 1, 1), s.Leg(A).Local())
	until(t, s, "held packet counted", func(st Stats) bool { return st.A.OnHold == 1 })
	send(t, a.rtcp, receiverReport(1), rtcpOf(s.Leg(A).Local()))
	recv(t, b.rtcp)
	send(t, b.rtp, g711(0, 1, 2), s.Leg(B).Local())
	recv(t, a.rtp)
	if st := until(t, s, "B's packet counted", func(st Stats) bool { return st.A.PacketsOut == 1 }); !st.B.Held || st.A.Held || st.B.PacketsOut != 0 {
		t.Fatalf("stats while held: %+v", st)
	}

	s.Leg(B).SetHold(false)
	send(t, a.rtp, g711(0, 2, 1), s.Leg(A).Local())
	if got, _ := recv(t, b.rtp); !bytes.Equal(got, g711(0, 2, 1)) {
		t.Fatalf("after resume B got %x", got)
	}
}

// TestTimeout ends a silent session with ErrTimeout and frees its ports.
func TestTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RTPTimeout = 50 * time.Millisecond })
	a, b := e.phone(), e.phone()
	s := e.connect(a, b)
	send(t, a.rtp, g711(0, 1, 1), s.Leg(A).Local())
	recv(t, b.rtp)
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("silent session did not end")
	}
	if !errors.Is(s.Err(), ErrTimeout) {
		t.Fatalf("Err = %v, want ErrTimeout", s.Err())
	}
	if n := e.relay.Sessions(); n != 0 {
		t.Fatalf("Sessions = %d after timeout", n)
	}
	if st := s.Stats(); st.A.PacketsIn != 1 {
		t.Errorf("stats after the end: %+v", st.A)
	}
	if free := e.relay.ports.free(); free != sessionPorts/2 {
		t.Errorf("free port pairs %d, want %d", free, sessionPorts/2)
	}
}
