package media

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// TestPorts exhausts the port range and the session cap, and checks that
// Close gives ports back for reuse and that a port held by someone else is
// skipped.
func TestPorts(t *testing.T) {
	t.Run("exhaustion and reuse", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.PortMax = c.PortMin + 7 }) // four pairs: two sessions
		s1, s2 := e.open(), e.open()
		if _, err := e.relay.Open("third"); !errors.Is(err, ErrTooManySessions) {
			t.Fatalf("third Open: %v, want ErrTooManySessions", err)
		}
		if n := e.relay.Sessions(); n != 2 {
			t.Fatalf("Sessions = %d", n)
		}
		freed := []netip.AddrPort{s1.Leg(A).Local(), s1.Leg(B).Local()}
		if err := s1.Close(); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(s1.Err(), ErrClosed) {
			t.Fatalf("Err after Close = %v", s1.Err())
		}
		_ = s1.Close() // twice is harmless
		s3 := e.open()
		got := []netip.AddrPort{s3.Leg(A).Local(), s3.Leg(B).Local()}
		if got[0] != freed[0] || got[1] != freed[1] {
			t.Fatalf("reopened on %v, want the freed %v", got, freed)
		}
		// The reused ports relay for the new session.
		a, b := e.phone(), e.phone()
		for _, side := range []struct {
			l *Leg
			p *phone
		}{{s3.Leg(A), a}, {s3.Leg(B), b}} {
			if err := side.l.SetRemote(side.p.addr()); err != nil {
				t.Fatal(err)
			}
		}
		send(t, a.rtp, g711(0, 1, 1), s3.Leg(A).Local())
		recv(t, b.rtp)
		_ = s2
	})
	t.Run("no ports", func(t *testing.T) {
		// MaxSessions is at most what the range holds, so ErrNoPorts
		// shows when another program holds ports of the range.
		e := newEnv(t, func(c *Config) { c.PortMax = c.PortMin + 7 })
		blocker := listen(t, e.relay.cfg.PortMin+3) // RTCP port of the second pair
		_ = blocker
		s := e.open() // pairs 1 and 3; pair 2 goes to the back
		if s.Leg(A).Local().Port() != uint16(e.relay.cfg.PortMin) || s.Leg(B).Local().Port() != uint16(e.relay.cfg.PortMin+4) {
			t.Fatalf("opened on %v %v", s.Leg(A).Local(), s.Leg(B).Local())
		}
		if _, err := e.relay.Open("second"); !errors.Is(err, ErrNoPorts) {
			t.Fatalf("Open with one bindable pair left: %v, want ErrNoPorts", err)
		}
		if n := e.relay.Sessions(); n != 1 {
			t.Fatalf("Sessions = %d", n)
		}
		if free := e.relay.ports.free(); free != 2 {
			t.Fatalf("free pairs %d after the failed Open, want 2", free)
		}
	})
}

// TestShutdown ends every session when Run's context ends, refuses new
// sessions, and leaves no goroutine behind.
func TestShutdown(t *testing.T) {
	defer goleak.VerifyNone(t)
	base := freePorts(t, sessionPorts)
	r, err := New(Config{ListenIP: loopback, PortMin: base, PortMax: base + sessionPorts - 1}, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	early, err := r.Open("before-run") // allowed before Run
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	late, err := r.Open("while-running")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, s := range []*Session{early, late} {
		<-s.Done()
		if !errors.Is(s.Err(), ErrStopped) {
			t.Errorf("%s: Err = %v, want ErrStopped", s.CallID(), s.Err())
		}
	}
	if _, err := r.Open("after"); !errors.Is(err, ErrStopped) {
		t.Errorf("Open after Run: %v, want ErrStopped", err)
	}
	if err := r.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	if n := r.Sessions(); n != 0 {
		t.Errorf("Sessions = %d", n)
	}
}

func TestConfig(t *testing.T) {
	v6 := netip.MustParseAddr("::1")
	tests := []struct {
		name    string
		cfg     Config
		want    func(Config) bool
		wantErr bool
	}{
		{"zero value runs locally", Config{}, func(c Config) bool {
			return c.ListenIP == loopback && c.AdvertiseIP == loopback && c.PortMin == 20000 && c.PortMax == 39999 &&
				c.RTPTimeout == DefaultRTPTimeout && c.HoldTimeout == DefaultHoldTimeout && c.MaxSessions == 5000
		}, false},
		{"all interfaces advertise loopback", Config{ListenIP: netip.IPv4Unspecified()}, func(c Config) bool {
			return c.AdvertiseIP == loopback
		}, false},
		{"odd PortMin rounds up", Config{PortMin: 30001, PortMax: 30010}, func(c Config) bool {
			return c.PortMin == 30002 && c.MaxSessions == 2
		}, false},
		{"MaxSessions capped by the range", Config{PortMin: 30000, PortMax: 30007, MaxSessions: 9}, func(c Config) bool {
			return c.MaxSessions == 2
		}, false},
		{"IPv6", Config{ListenIP: v6}, func(c Config) bool { return c.AdvertiseIP == v6 }, false},
		{"range too small", Config{PortMin: 30000, PortMax: 30002}, nil, true},
		{"range beyond 65535", Config{PortMin: 65530, PortMax: 65600}, nil, true},
		{"unspecified AdvertiseIP", Config{AdvertiseIP: netip.IPv4Unspecified()}, nil, true},
		{"negative timeout", Config{RTPTimeout: -1}, nil, true},
		{"negative MaxSessions", Config{MaxSessions: -1}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.cfg, testlog.New(t))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New accepted %+v", tt.cfg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(r.Config()) {
				t.Fatalf("config %+v", r.Config())
			}
		})
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New accepted a nil logger")
	}
}

// TestChurn opens and closes sessions while a stranger keeps sending to
// every port of the range, so that sockets are closed and their ports
// reused while packets arrive on them. Each new session must still relay,
// and the race detector watches the engine's hand-over of sockets.
func TestChurn(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.phone(), e.phone()
	// From another IP, the stranger never passes the latching check.
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	cfg := e.relay.Config()
	stop := make(chan struct{})
	done := make(chan struct{})
	warm := make(chan struct{})
	go func() {
		defer close(done)
		pkt := g711(0, 1, 9)
		for i := 0; i < 100_000; i++ { // bounded; ends early when the test is done
			select {
			case <-stop:
				return
			default:
			}
			if i == 1000 {
				close(warm)
			}
			port := cfg.PortMin + i%(cfg.PortMax-cfg.PortMin+1)
			_, _ = stranger.WriteToUDPAddrPort(pkt, netip.AddrPortFrom(loopback, uint16(port)))
		}
	}()
	defer func() { close(stop); <-done }()
	<-warm
	for i := range 200 {
		s := e.connect(a, b)
		seq := uint16(i + 1)
		// The flood may fill the new socket's receive queue before the
		// relay drains it, and the kernel then drops a's packet: a's
		// phone sends again, as RTP goes on every 20 ms.
		var got []byte
		buf := make([]byte, 2048)
		for try := 0; try < 10 && got == nil; try++ {
			send(t, a.rtp, g711(0, seq, 1), s.Leg(A).Local())
			_ = b.rtp.SetReadDeadline(time.Now().Add(wait / 10))
			if n, _, err := b.rtp.ReadFromUDPAddrPort(buf); err == nil {
				got = buf[:n]
			}
		}
		if !bytes.Equal(got, g711(0, seq, 1)) {
			t.Fatalf("session %d: B got %x", i, got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.relay.Sessions(); n != 0 {
		t.Fatalf("Sessions = %d", n)
	}
}
