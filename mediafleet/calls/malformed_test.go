package calls

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/mediafleet/registrar"
)

// goodSDP is an offer the B2BUA accepts.
const goodSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n"

// rawInvite renders an INVITE from local to remote, for numbers that the
// test's trunk sources may call without authentication. cseq is the CSeq
// header's value, extra more header lines, body the SDP.
func rawInvite(local, remote net.Addr, user, callID, cseq, extra, body string) []byte {
	ct := ""
	if body != "" {
		ct = "Content-Type: application/sdp\r\n"
	}
	return []byte(fmt.Sprintf("INVITE sip:%[1]s@%[3]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %[2]s;branch=z9hG4bK-%[4]s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:+4915100000000@%[2]s>;tag=raw-%[4]s\r\n"+
		"To: <sip:%[1]s@%[3]s>\r\n"+
		"Call-ID: %[4]s\r\n"+
		"CSeq: %[5]s\r\n"+
		"Contact: <sip:raw@%[2]s>\r\n"+
		"%[6]s%[7]s"+
		"Content-Length: %[8]d\r\n"+
		"\r\n%[9]s", user, local, remote, callID, cseq, extra, ct, len(body), body))
}

// TestMalformedInvite: INVITEs that are wrong in what the B2BUA reads get
// the right 4xx, and the B2BUA keeps serving. The raw socket counts as
// the trunk, so that no challenge comes first.
func TestMalformedInvite(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e := newEnv(t, options{config: func(c *Config) {
		c.Trunk = Trunk{Address: "127.0.0.1:9", Sources: []string{conn.LocalAddr().String()}}
	}})
	node := e.node.UDPAddr()
	tests := []struct {
		name              string
		user, cseq, extra string
		body              string
		want              int
	}{
		{"no SDP", "492111234561", "1 INVITE", "", "", sip.StatusNotAcceptableHere},
		{"SDP without audio", "492111234561", "1 INVITE", "", "v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 4000 RTP/AVP 96\r\n", sip.StatusNotAcceptableHere},
		{"bad SDP", "492111234561", "1 INVITE", "", "v=0\r\nthis is no sdp\r\n", sip.StatusBadRequest},
		{"SDP without address", "492111234561", "1 INVITE", "", "v=0\r\nm=audio 4000 RTP/AVP 0\r\n", sip.StatusBadRequest},
		{"CSeq method mismatch", "492111234561", "1 BYE", "", goodSDP, sip.StatusBadRequest},
		{"Max-Forwards 0", "492111234561", "1 INVITE", "", goodSDP, sip.StatusTooManyHops},
		{"Require", "492111234561", "1 INVITE", "Require: 100rel\r\n", goodSDP, sip.StatusBadExtension},
		{"unknown number", "490000", "1 INVITE", "", goodSDP, sip.StatusNotFound},
		{"no phone registered", "492111234561", "1 INVITE", "", goodSDP, sip.StatusTemporarilyUnavailable},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("malformed-%d", i)
			msg := rawInvite(conn.LocalAddr(), node, tt.user, id, tt.cseq, tt.extra, tt.body)
			if tt.name == "Max-Forwards 0" {
				msg = bytes.Replace(msg, []byte("Max-Forwards: 70"), []byte("Max-Forwards: 0"), 1)
			}
			if got := exchange(t, conn, node, msg, id); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
	// BYE and INFO outside any dialog.
	for _, m := range []string{"BYE", "INFO"} {
		id := "stray-" + m
		msg := fmt.Sprintf("%[1]s sip:x@%[3]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-%[4]s\r\nMax-Forwards: 70\r\n"+
			"From: <sip:a@%[2]s>;tag=a\r\nTo: <sip:x@%[3]s>;tag=b\r\nCall-ID: %[4]s\r\nCSeq: 2 %[1]s\r\nContent-Length: 0\r\n\r\n",
			m, conn.LocalAddr(), node, id)
		if got := exchange(t, conn, node, []byte(msg), id); got != sip.StatusCallTransactionDoesNotExists {
			t.Errorf("stray %s: %d, want 481", m, got)
		}
	}
	e.settle()
}

// exchange sends msg and returns the status of the first final response
// for callID.
func exchange(t *testing.T, conn *net.UDPConn, to net.Addr, msg []byte, callID string) int {
	t.Helper()
	if _, err := conn.WriteTo(msg, to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		_ = conn.SetReadDeadline(deadline)
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			continue
		}
		res, ok := m.(*sip.Response)
		if !ok || res.CallID() == nil || res.CallID().Value() != callID || res.IsProvisional() {
			continue
		}
		return res.StatusCode
	}
	t.Fatal("no final answer")
	return 0
}

// fakeMedia is a relay for unit tests that need no packets: it hands out
// addresses and records what the B2BUA tells it.
type fakeMedia struct {
	mu   sync.Mutex
	next uint16
}

func (m *fakeMedia) Open(string) (MediaSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next += 4
	return &fakeSession{port: 20000 + m.next, done: make(chan struct{})}, nil
}

type fakeSession struct {
	port uint16
	once sync.Once
	done chan struct{}
}

func (s *fakeSession) Local(side Side) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.port+2*uint16(side))
}
func (s *fakeSession) SetRemote(Side, netip.AddrPort) error { return nil }
func (s *fakeSession) SetHold(Side, bool)                   {}
func (s *fakeSession) Send(Side, []byte) bool               { return false }
func (s *fakeSession) WatchEvents(Side, uint8, func(uint8)) {}
func (s *fakeSession) Done() <-chan struct{}                { return s.done }
func (s *fakeSession) TimedOut() bool                       { return false }
func (s *fakeSession) Stats() MediaStats                    { return MediaStats{} }
func (s *fakeSession) Close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}

// fakeTx is a server transaction that keeps the responses given to it.
type fakeTx struct {
	mu    sync.Mutex
	codes []int
	done  chan struct{}
}

func (tx *fakeTx) Respond(res *sip.Response) error {
	tx.mu.Lock()
	tx.codes = append(tx.codes, res.StatusCode)
	tx.mu.Unlock()
	return nil
}
func (tx *fakeTx) Acks() <-chan *sip.Request          { return nil }
func (tx *fakeTx) OnCancel(sip.FnTxCancel) bool       { return true }
func (tx *fakeTx) Terminate()                         {}
func (tx *fakeTx) OnTerminate(sip.FnTxTerminate) bool { return true }
func (tx *fakeTx) Done() <-chan struct{}              { return tx.done }
func (tx *fakeTx) Err() error                         { return nil }
func (tx *fakeTx) final() int {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	for _, c := range tx.codes {
		if c >= 200 {
			return c
		}
	}
	return 0
}

// fuzzSource is where fuzzed requests come from: the trunk, so that the
// fuzzer reaches past authentication into routing and SDP.
const fuzzSource = "192.0.2.10:5060"

// FuzzInvite feeds arbitrary datagrams, as sipgo parses them, to the
// router's entry point: it must never panic, must answer every INVITE
// with a final response (none of the fuzzer's calls can ring a phone) and
// must hold no call afterwards.
func FuzzInvite(f *testing.F) {
	local, remote := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 5060}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}
	f.Add(rawInvite(local, remote, "492111234561", "f1", "1 INVITE", "", goodSDP))
	f.Add(rawInvite(local, remote, "+492111234562", "f2", "1 INVITE", "", goodSDP))
	f.Add(rawInvite(local, remote, "492111234561", "f3", "1 INVITE", "", ""))
	f.Add(rawInvite(local, remote, "0211%201234561", "f4", "2 INVITE", "Proxy-Authorization: Digest username=\"1234567e0\", realm=\"x\"\r\n", goodSDP))
	f.Add(rawInvite(local, remote, "10", "f5", "1 INVITE", "", "v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP6 ::1\r\n"))
	f.Add([]byte("BYE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n"))

	r := unitRouter(f, nil, Config{NoAnswer: time.Second, Hangup: 100 * time.Millisecond,
		Trunk: Trunk{Address: "127.0.0.1:9", Sources: []string{fuzzSource}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	f.Cleanup(func() {
		cancel()
		<-done
	})

	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		req.SetSource(fuzzSource)
		if strings.EqualFold(req.Transport(), "tcp") {
			req.SetTransport("UDP")
		}
		tx := &fakeTx{done: make(chan struct{})}
		r.ServeSIP(req, tx)
		if req.Method == sip.INVITE && tags(req).to == "" && tx.final() == 0 {
			t.Fatalf("INVITE got no final answer:\n%s", data)
		}
		if n := r.Active(); n != 0 {
			t.Fatalf("%d calls held after the handler returned", n)
		}
	})
}

// unitRouter is a router on the fixture's directory (changed by world
// when not nil) with the fake relay and no phones registered; it is not
// running and is closed when the test ends.
func unitRouter(tb testing.TB, world func(*world), cfg Config) *Router {
	tb.Helper()
	db := fixture.Open(tb)
	w := newWorld()
	if world != nil {
		world(w)
	}
	fixture.Put(tb, db, w.entities()...)
	log := testlog.New(tb)
	dir := directory.New(log)
	if err := dir.Load(context.Background(), db); err != nil {
		tb.Fatal(err)
	}
	reg, err := registrar.New(registrar.Config{Realm: testRealm, Node: "unit"}, dir, db, log)
	if err != nil {
		tb.Fatal(err)
	}
	pub := events.NewLocal()
	cfg.Realm = testRealm
	r, err := New(cfg, Deps{Directory: dir, Bindings: reg, Media: &fakeMedia{}, Store: db, Events: pub}, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = r.Close()
		pub.Close()
	})
	return r
}
