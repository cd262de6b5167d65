package node

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestStatelessRetransmission sends the same REGISTER datagram twice and
// a second one with another branch: the handler runs once per branch, and
// the retransmission gets the first answer again, byte for byte (RFC 3261
// section 17.2.2).
func TestStatelessRetransmission(t *testing.T) {
	var runs atomic.Int32
	n := startWith(t, []Route{{Method: sip.REGISTER, Handle: func(req *sip.Request, tx sip.ServerTransaction) {
		runs.Add(1)
		res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("X-Run", time.Now().Format(time.RFC3339Nano)))
		if err := tx.Respond(res); err != nil {
			t.Errorf("respond: %v", err)
		}
	}}})
	conn, err := net.DialUDP("udp", nil, n.UDPAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := udpReader(conn)
	first := rawRequest("REGISTER", "UDP", conn.LocalAddr(), conn.RemoteAddr(), "retrans", 1)
	var answers [][]byte
	for _, msg := range []string{first, first, strings.Replace(first, "branch=z9hG4bK-", "branch=z9hG4bK-other-", 1)} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		b, err := read()
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		answers = append(answers, b)
	}
	if !bytes.HasPrefix(answers[0], []byte("SIP/2.0 401 ")) {
		t.Fatalf("answer %q, want 401", answers[0])
	}
	if !bytes.Equal(answers[0], answers[1]) {
		t.Errorf("retransmission answered\n%s\nwant the first answer\n%s", answers[1], answers[0])
	}
	if bytes.Equal(answers[0], answers[2]) {
		t.Error("a new transaction got the answer of another")
	}
	if got := runs.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2", got)
	}
	// The answer carries received and rport (RFC 3581).
	if want := "rport=" + portOf(conn.LocalAddr()); !bytes.Contains(answers[0], []byte(want)) {
		t.Errorf("answer lacks %s:\n%s", want, answers[0])
	}
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func TestAnswerAddr(t *testing.T) {
	from := netip.MustParseAddrPort("192.0.2.7:40000")
	tests := []struct {
		name, via string
		want      string
	}{
		{"rport asked", "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;rport", "192.0.2.7:40000"},
		{"no rport: Via port at the source address", "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa", "192.0.2.7:5062"},
		{"no rport, no port", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa", "192.0.2.7:5060"},
		{"rport with a value", "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;rport=1", "192.0.2.7:5062"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := sip.NewParser().ParseSIP([]byte("REGISTER sip:x SIP/2.0\r\nVia: " + tt.via +
				"\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := answerAddr(msg.(*sip.Request).Via(), from).String(); got != tt.want {
				t.Errorf("answer to %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAnswerCache(t *testing.T) {
	c := newAnswerCache(2, time.Hour)
	key := func(s string) []byte { return []byte(s) }
	if _, st := c.begin(key("a")); st != answerNew {
		t.Fatalf("first: %v", st)
	}
	if _, st := c.begin(key("a")); st != answerPending {
		t.Fatalf("while pending: %v", st)
	}
	c.done(key("a"), []byte("A"))
	if a, st := c.begin(key("a")); st != answerSent || string(a) != "A" {
		t.Fatalf("after done: %q %v", a, st)
	}
	c.begin(key("b"))
	c.abandon(key("b"))
	if _, st := c.begin(key("b")); st != answerNew {
		t.Fatalf("after abandon: %v", st)
	}
	// Two generations of at most two entries: "a" outlives one rotation
	// and goes with the second.
	c.done(key("b"), []byte("B"))
	c.begin(key("c"))
	if _, st := c.begin(key("a")); st != answerSent {
		t.Fatalf("a after one rotation: %v", st)
	}
	c.begin(key("d"))
	c.begin(key("e"))
	if _, st := c.begin(key("a")); st != answerNew {
		t.Fatalf("a after two rotations: %v", st)
	}
}
