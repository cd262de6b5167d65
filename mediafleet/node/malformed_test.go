package node

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// rawRequest renders a complete SIP request as a phone would send it from
// local to remote. callID tells the answers apart on a shared socket.
func rawRequest(method, transport string, local, remote net.Addr, callID string, cseq int) string {
	return fmt.Sprintf("%[1]s sip:alice@%[4]s SIP/2.0\r\n"+
		"Via: SIP/2.0/%[2]s %[3]s;branch=z9hG4bK-%[5]s-%[6]d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:probe@%[3]s>;tag=probe-%[5]s\r\n"+
		"To: <sip:alice@%[4]s>\r\n"+
		"Call-ID: %[5]s\r\n"+
		"CSeq: %[6]d %[1]s\r\n"+
		"Content-Length: 0\r\n"+
		"\r\n", method, transport, local, remote, callID, cseq)
}

// readStatus reads SIP responses from r until one for callID arrives and
// returns its status line. Answers to other calls are passed to other.
func readStatus(t *testing.T, next func() ([]byte, error), callID string, other func(msg []byte)) string {
	t.Helper()
	for {
		msg, err := next()
		if err != nil {
			t.Fatalf("waiting for the answer to %s: %v", callID, err)
		}
		if bytes.Contains(msg, []byte("Call-ID: "+callID+"\r\n")) {
			line, _, _ := bytes.Cut(msg, []byte("\r\n"))
			return string(line)
		}
		other(msg)
	}
}

func udpReader(conn *net.UDPConn) func() ([]byte, error) {
	buf := make([]byte, 65536)
	return func() ([]byte, error) {
		if err := conn.SetReadDeadline(time.Now().Add(replyTimeout)); err != nil {
			return nil, err
		}
		n, err := conn.Read(buf)
		return bytes.Clone(buf[:n]), err
	}
}

func TestMalformedUDP(t *testing.T) {
	n := start(t)
	conn, err := net.DialUDP("udp", nil, n.UDPAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local, remote := conn.LocalAddr(), conn.RemoteAddr()

	random := make([]byte, 512)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	good := rawRequest("OPTIONS", "UDP", local, remote, "good", 1)
	tests := []struct {
		name string
		data string
	}{
		{name: "random bytes", data: string(random)},
		{name: "NUL bytes", data: "\x00\x00\x00\x00"},
		{name: "keep-alive", data: "\r\n\r\n"},
		{name: "start line only", data: "OPTIONS sip:alice@example SIP/2.0\r\n"},
		{name: "truncated request", data: good[:len(good)/2]},
		{name: "no Via, no CSeq", data: "OPTIONS sip:alice@example SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"},
		{name: "bad CSeq", data: strings.Replace(good, "CSeq: 1 OPTIONS", "CSeq: many OPTIONS", 1)},
		{name: "bad version", data: strings.Replace(good, "SIP/2.0\r\n", "SIP/7.1\r\n", 1)},
		{name: "Content-Length beyond the datagram", data: strings.Replace(good, "Content-Length: 0", "Content-Length: 4000", 1)},
		{name: "response to nothing", data: "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nCall-ID: y\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"},
		{name: "oversized header", data: "OPTIONS sip:alice@example SIP/2.0\r\nX: " + strings.Repeat("A", 60000) + "\r\n\r\n"},
		{name: "STUN binding request", data: "\x00\x01\x00\x00\x21\x12\xa4\x42abcdefghijkl"},
	}
	read := udpReader(conn)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := conn.Write([]byte(tt.data)); err != nil {
				t.Fatalf("write garbage: %v", err)
			}
			// The node must still answer. A stateless 400 for a message
			// it could half parse and a 505 for a foreign version are
			// fine; anything else is not. Answers are sent from
			// goroutines, so one may cross into the next subtest.
			id := fmt.Sprintf("after-garbage-%d", i)
			if _, err := conn.Write([]byte(rawRequest("OPTIONS", "UDP", local, remote, id, 1))); err != nil {
				t.Fatalf("write OPTIONS: %v", err)
			}
			status := readStatus(t, read, id, func(msg []byte) {
				if !bytes.HasPrefix(msg, []byte("SIP/2.0 400 ")) && !bytes.HasPrefix(msg, []byte("SIP/2.0 505 ")) {
					t.Errorf("unexpected answer to garbage: %q", msg)
				}
			})
			if status != "SIP/2.0 200 OK" {
				t.Errorf("OPTIONS after garbage: %q, want 200", status)
			}
		})
	}
	t.Run("sipgo client after garbage", func(t *testing.T) {
		if res := do(t, client(t), n, sip.OPTIONS, "UDP"); res.StatusCode != sip.StatusOK {
			t.Errorf("status = %d, want 200", res.StatusCode)
		}
	})
}

func TestMalformedTCP(t *testing.T) {
	n := start(t)
	good := func(local, remote net.Addr) string {
		return rawRequest("OPTIONS", "TCP", local, remote, "good", 1)
	}
	tests := []struct {
		name string
		data func(local, remote net.Addr) string
	}{
		{name: "random bytes", data: func(net.Addr, net.Addr) string {
			b := make([]byte, 512)
			rng := rand.New(rand.NewPCG(5, 6))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			return string(b)
		}},
		{name: "truncated headers", data: func(l, r net.Addr) string { s := good(l, r); return s[:len(s)/2] }},
		{name: "body shorter than Content-Length", data: func(l, r net.Addr) string {
			return strings.Replace(good(l, r), "Content-Length: 0", "Content-Length: 100", 1) + "short"
		}},
		{name: "negative Content-Length", data: func(l, r net.Addr) string {
			return strings.Replace(good(l, r), "Content-Length: 0", "Content-Length: -5", 1)
		}},
		{name: "no Content-Length", data: func(l, r net.Addr) string {
			return strings.Replace(good(l, r), "Content-Length: 0\r\n", "", 1)
		}},
		{name: "oversized header", data: func(net.Addr, net.Addr) string {
			return "OPTIONS sip:alice@example SIP/2.0\r\nX: " + strings.Repeat("A", 200000)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", n.TCPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			data := tt.data(conn.LocalAddr(), conn.RemoteAddr())
			// The write may fail half way if the node already gave up
			// on the connection; either way is fine.
			_, _ = conn.Write([]byte(data))
			// Half-close so the node sees the message end where it ends,
			// then drain whatever it says until it closes its side.
			_ = conn.(*net.TCPConn).CloseWrite()
			_ = conn.SetReadDeadline(time.Now().Add(replyTimeout))
			_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
			conn.Close()

			if res := do(t, client(t), n, sip.OPTIONS, "TCP"); res.StatusCode != sip.StatusOK {
				t.Errorf("OPTIONS after garbage: status = %d, want 200", res.StatusCode)
			}
		})
	}
}

// TestACKNotAnswered sends an ACK that matches nothing. Requests are handled
// on goroutines of their own, so no order proves the absence of an answer;
// two OPTIONS round trips after the ACK give any answer to it ample time
// to arrive ahead of the second 200.
func TestACKNotAnswered(t *testing.T) {
	n := start(t)
	conn, err := net.DialUDP("udp", nil, n.UDPAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local, remote := conn.LocalAddr(), conn.RemoteAddr()
	if _, err := conn.Write([]byte(rawRequest("ACK", "UDP", local, remote, "ack", 1))); err != nil {
		t.Fatal(err)
	}
	read := udpReader(conn)
	for _, id := range []string{"probe-1", "probe-2"} {
		if _, err := conn.Write([]byte(rawRequest("OPTIONS", "UDP", local, remote, id, 2))); err != nil {
			t.Fatal(err)
		}
		status := readStatus(t, read, id, func(msg []byte) {
			t.Errorf("answer to the ACK: %q", msg)
		})
		if status != "SIP/2.0 200 OK" {
			t.Errorf("OPTIONS %s: %q, want 200", id, status)
		}
	}
}

func TestVersionNotSupported(t *testing.T) {
	n := start(t)
	conn, err := net.DialUDP("udp", nil, n.UDPAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local, remote := conn.LocalAddr(), conn.RemoteAddr()
	tests := []struct {
		method string
		want   string
	}{
		{method: "OPTIONS", want: "SIP/2.0 505 Version Not Supported"},
		{method: "FROBNICATE", want: "SIP/2.0 505 Version Not Supported"},
	}
	read := udpReader(conn)
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			id := "version-" + tt.method
			req := strings.Replace(rawRequest(tt.method, "UDP", local, remote, id, 1), " SIP/2.0\r\n", " SIP/3.0\r\n", 1)
			if _, err := conn.Write([]byte(req)); err != nil {
				t.Fatal(err)
			}
			status := readStatus(t, read, id, func(msg []byte) { t.Errorf("unexpected answer: %q", msg) })
			if status != tt.want {
				t.Errorf("status line = %q, want %q", status, tt.want)
			}
		})
	}
}

// TestShutdownClosesConnections checks that Serve, when cancelled, closes
// the TCP connections phones hold open, not only the listener: their
// reader goroutines would leak otherwise.
func TestShutdownClosesConnections(t *testing.T) {
	defer goleak.VerifyNone(t)
	n, err := New(Config{TCPAddr: "127.0.0.1:0", Domain: testDomain}, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := n.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx) }()

	conn, err := net.Dial("tcp", n.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(rawRequest("OPTIONS", "TCP", conn.LocalAddr(), conn.RemoteAddr(), "held", 1))); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(replyTimeout))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil || line != "SIP/2.0 200 OK\r\n" {
		t.Fatalf("status line %q, %v; want 200", line, err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	// The node must have closed its end: the rest of the answer and then EOF.
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Errorf("connection not closed by the node: %v", err)
	}
}
