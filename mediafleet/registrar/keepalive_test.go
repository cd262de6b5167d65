package registrar

import (
	"bufio"
	"crypto/md5"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/internal/digest"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
)

// TestKeepAlive checks that a live binding gets a NAT keep-alive: an
// OPTIONS over UDP, a double CRLF on the phone's TCP connection.
func TestKeepAlive(t *testing.T) {
	e := newEnv(t, 2, func(c *Config) { c.KeepAlive = time.Second })

	t.Run("UDP", func(t *testing.T) {
		c := newClient(t)
		d := e.dialog(c, testPhone(0), "udp")
		if res := d.register("SHA-256", []string{contactA}); res.StatusCode != sip.StatusOK {
			t.Fatalf("REGISTER: %d", res.StatusCode)
		}
		select {
		case req := <-c.options:
			if req.Recipient.String() != contactA {
				t.Errorf("OPTIONS to %s, want the contact %s", req.Recipient.String(), contactA)
			}
			// From the node's listening socket, or the phone's NAT
			// mapping would not be the one refreshed.
			if req.Source() != e.addr("udp") {
				t.Errorf("OPTIONS from %s, want the node's socket %s", req.Source(), e.addr("udp"))
			}
		case <-time.After(replyTimeout):
			t.Fatal("no OPTIONS keep-alive arrived")
		}
	})

	t.Run("TCP", func(t *testing.T) {
		conn, err := net.Dial("tcp", e.addr("tcp"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		p := testPhone(1)
		nonce := ""
		var res string
		for step := range 2 {
			fmt.Fprint(conn, rawRegister(e, conn, p, step+1, nonce))
			res = readMessage(t, conn, r)
			if step == 0 {
				nonce = nonceOf(t, res)
			}
		}
		if !strings.HasPrefix(res, "SIP/2.0 200 ") {
			t.Fatalf("raw REGISTER over TCP: %q", res)
		}
		// Nothing but keep-alives follow on the connection.
		_ = conn.SetReadDeadline(time.Now().Add(replyTimeout))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "\r\n\r\n" {
			t.Fatalf("read %q, %v; want a CRLF keep-alive", buf, err)
		}
	})
}

// rawRegister renders a REGISTER for p sent on conn; with a nonce, it
// carries the MD5 answer to it.
func rawRegister(e *env, conn net.Conn, p phone, cseq int, nonce string) string {
	uri := "sip:" + testRealm
	auth := ""
	if nonce != "" {
		ha1 := fixture.HA1(md5.New, p.id, testRealm, p.password)
		c := digest.Credentials{URI: uri, Nonce: nonce, NC: "00000001", Cnonce: "abc", QOP: "auth"}
		auth = fmt.Sprintf("Authorization: Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q, algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abc\"\r\n",
			p.id, testRealm, nonce, uri, digest.Response(digest.MD5, ha1, "REGISTER", &c))
	}
	return fmt.Sprintf("REGISTER %[1]s SIP/2.0\r\n"+
		"Via: SIP/2.0/TCP %[2]s;branch=z9hG4bK-raw-%[4]d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%[3]s@%[5]s>;tag=raw\r\n"+
		"To: <sip:%[3]s@%[5]s>\r\n"+
		"Call-ID: raw-%[3]s\r\n"+
		"CSeq: %[4]d REGISTER\r\n"+
		"Contact: <sip:%[3]s@%[2]s;transport=tcp>\r\n"+
		"%[6]s"+
		"Content-Length: 0\r\n\r\n", uri, conn.LocalAddr(), p.id, cseq, testRealm, auth)
}

// readMessage reads one SIP message (headers only; ours have no body).
func readMessage(t *testing.T, conn net.Conn, r *bufio.Reader) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(replyTimeout))
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v (so far %q)", err, b.String())
		}
		b.WriteString(line)
		if line == "\r\n" && b.Len() > 2 {
			return b.String()
		}
	}
}

func nonceOf(t *testing.T, msg string) string {
	t.Helper()
	_, rest, ok := strings.Cut(msg, `nonce="`)
	nonce, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no nonce in %q", msg)
	}
	return nonce
}
