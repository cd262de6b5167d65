package media

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var loopback = netip.MustParseAddr("127.0.0.1")

// wait bounds every wait of these tests for a packet or a counter. It is a
// limit for a broken relay, not a timing assertion: on a working relay the
// waits end in microseconds.
const wait = 5 * time.Second

// freePorts finds n consecutive free UDP ports on 127.0.0.1, starting at
// an even port below Linux's ephemeral range, so that the relay's range
// and the fake phones' ports do not collide with other tests' sockets.
func freePorts(t testing.TB, n int) int {
	t.Helper()
	for range 200 {
		base := 20000 + 2*rand.IntN(6000)
		var held []*net.UDPConn
		ok := true
		for p := base; p < base+n; p++ {
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(p))))
			if err != nil {
				ok = false
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			_ = c.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d free consecutive ports", n)
	return 0
}

// env is a running relay with port room for the fake phones above its
// range.
type env struct {
	t      testing.TB
	relay  *Relay
	phones int // next free phone port
	done   chan error
}

// sessionPorts is the relay range of a test env: room for four sessions.
const sessionPorts = 16

// newEnv starts a relay on loopback; mod adjusts its config. The relay is
// stopped when the test ends.
func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	base := freePorts(t, sessionPorts+16)
	cfg := Config{ListenIP: loopback, PortMin: base, PortMax: base + sessionPorts - 1}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg, testlog.New(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, relay: r, phones: base + sessionPorts, done: make(chan error, 1)}
	go func() { e.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-e.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return e
}

func (e *env) open() *Session {
	e.t.Helper()
	s, err := e.relay.Open("call-" + e.t.Name())
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	return s
}

// phone is a fake phone: an RTP socket on an even port and an RTCP socket
// on the port above.
type phone struct {
	t         testing.TB
	rtp, rtcp *net.UDPConn
}

func (e *env) phone() *phone {
	e.t.Helper()
	port := e.phones
	e.phones += 2
	return newPhone(e.t, port)
}

func newPhone(t testing.TB, port int) *phone {
	t.Helper()
	p := &phone{t: t, rtp: listen(t, port), rtcp: listen(t, port+1)}
	return p
}

func listen(t testing.TB, port int) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(port))))
	if err != nil {
		t.Fatalf("listen %d: %v", port, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (p *phone) addr() netip.AddrPort { return p.rtp.LocalAddr().(*net.UDPAddr).AddrPort() }

// send writes pkt from c to the relay address to.
func send(t testing.TB, c *net.UDPConn, pkt []byte, to netip.AddrPort) {
	t.Helper()
	if _, err := c.WriteToUDPAddrPort(pkt, to); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// recv reads the next datagram of c, failing the test if none arrives
// within the wait bound.
func recv(t testing.TB, c *net.UDPConn) ([]byte, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(wait))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("recv on %v: %v", c.LocalAddr(), err)
	}
	return buf[:n], from
}

// until polls the session's stats until cond holds, within the wait bound.
func until(t testing.TB, s *Session, what string, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		st := s.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: stats %+v", what, st)
		}
		time.Sleep(time.Millisecond)
	}
}

// rtcpOf is the RTCP address that goes with an RTP address.
func rtcpOf(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr(), a.Port()+1) }

// g711 builds an RTP packet of 160 octets of G.711 (20 ms at 8 kHz).
func g711(pt uint8, seq uint16, ssrc uint32) []byte {
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = byte(int(seq) + i)
	}
	return marshal(rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: ssrc}, payload)
}

func marshal(h rtp.Header, payload []byte) []byte {
	pkt, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	if err != nil {
		panic(err)
	}
	return pkt
}

// receiverReport is a minimal RTCP receiver report without blocks.
func receiverReport(ssrc uint32) []byte {
	return []byte{0x80, 201, 0, 1, byte(ssrc >> 24), byte(ssrc >> 16), byte(ssrc >> 8), byte(ssrc)}
}

// connect opens a session and points each leg at its phone.
func (e *env) connect(a, b *phone) *Session {
	e.t.Helper()
	s := e.open()
	if err := s.Leg(A).SetRemote(a.addr()); err != nil {
		e.t.Fatal(err)
	}
	if err := s.Leg(B).SetRemote(b.addr()); err != nil {
		e.t.Fatal(err)
	}
	return s
}
