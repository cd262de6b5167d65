package registrar

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/digest"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
)

// These tests drive the REGISTER handling without sockets: bytes in,
// sipgo's parser, the registrar's handle, the response rendered.

var benchNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// offline returns a registrar over a directory with phones e0..e(n-1),
// its clock stopped at benchNow.
func offline(tb testing.TB, phones int) *Registrar {
	tb.Helper()
	db := fixture.Open(tb)
	ents := []any{fixture.Account(testAccount), fixture.User(testAccount, "w0", "10")}
	for i := range phones {
		p := testPhone(i)
		ents = append(ents, fixture.Phone(testAccount, p.id, "w0", testRealm, p.password))
	}
	fixture.Put(tb, db, ents...)
	dir := directory.New(nil)
	if err := dir.Load(context.Background(), db); err != nil {
		tb.Fatal(err)
	}
	r, err := New(Config{Realm: testRealm, Node: "bench", NonceSecret: []byte("benchmark secret, 16+ bytes"),
		Clock: func() time.Time { return benchNow }}, dir, db, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// signedRegister renders a REGISTER of p from 192.0.2.1 over UDP,
// answering nonce with alg (no Authorization when nonce is empty).
func signedRegister(p phone, alg digest.Algorithm, nonce, callID string, cseq int) []byte {
	const uri = "sip:" + testRealm
	auth := ""
	if nonce != "" {
		ha1 := fixture.HA1(md5.New, p.id, testRealm, p.password)
		if alg == digest.SHA256 {
			ha1 = fixture.HA1(sha256.New, p.id, testRealm, p.password)
		}
		c := digest.Credentials{URI: uri, Nonce: nonce, NC: "00000001", Cnonce: "0a4f113b", QOP: "auth"}
		auth = fmt.Sprintf("Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "+
			"response=\"%s\", algorithm=%s, cnonce=\"0a4f113b\", qop=auth, nc=00000001\r\n",
			p.id, testRealm, nonce, uri, digest.Response(alg, ha1, "REGISTER", &c), alg)
	}
	return []byte(fmt.Sprintf("REGISTER %[1]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-%[3]s-%[4]d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%[2]s@%[5]s>;tag=from-%[3]s\r\n"+
		"To: <sip:%[2]s@%[5]s>\r\n"+
		"Call-ID: %[3]s\r\n"+
		"CSeq: %[4]d REGISTER\r\n"+
		"Contact: <sip:%[2]s@10.0.0.5:5060;transport=udp>;expires=600\r\n"+
		"User-Agent: bench/1.0\r\n"+
		"%[6]s"+
		"Content-Length: 0\r\n\r\n", uri, p.id, callID, cseq, testRealm, auth))
}

// serve parses data as the node's transport does and handles it. It
// returns a nil response for messages that are not a REGISTER.
func serve(r *Registrar, parser *sip.Parser, data []byte) (*sip.Request, *sip.Response, error) {
	msg, err := parser.ParseSIP(data)
	if err != nil {
		return nil, nil, err
	}
	req, ok := msg.(*sip.Request)
	if !ok || req.Method != sip.REGISTER {
		return nil, nil, nil
	}
	req.SetTransport("UDP")
	req.SetSource("192.0.2.1:5060")
	return req, r.handle(req), nil
}

func TestHandleOffline(t *testing.T) {
	r := offline(t, 1)
	p := testPhone(0)
	parser := sip.NewParser()
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.MD5} {
		t.Run(alg.String(), func(t *testing.T) {
			_, res, err := serve(r, parser, signedRegister(p, alg, r.nonces.Mint(benchNow), "offline-"+alg.String(), 2))
			if err != nil || res.StatusCode != sip.StatusOK {
				t.Fatalf("%v, %v", res, err)
			}
		})
	}
}

// FuzzRegister feeds arbitrary bytes through sipgo's parser into the
// REGISTER handling (header checks, Digest parsing, nonce and response
// verification, Contact and Expires handling). It must never panic, and
// every request must get a final response.
func FuzzRegister(f *testing.F) {
	r := offline(f, 1)
	p := testPhone(0)
	nonce := r.nonces.Mint(benchNow)
	f.Add(signedRegister(p, digest.SHA256, nonce, "seed-1", 2))
	f.Add(signedRegister(p, digest.MD5, nonce, "seed-2", 2))
	f.Add(signedRegister(p, digest.MD5, "", "seed-3", 1))
	f.Add(bytes.Replace(signedRegister(p, digest.MD5, nonce, "seed-4", 2), []byte("expires=600"), []byte("expires=5"), 1))
	f.Add(bytes.Replace(signedRegister(p, digest.SHA256, nonce, "seed-5", 2),
		[]byte("Contact: <sip:"+p.id+"@10.0.0.5:5060;transport=udp>;expires=600"), []byte("Contact: *\r\nExpires: 0"), 1))
	f.Add(bytes.Replace(signedRegister(p, digest.SHA256, nonce, "seed-6", 2), []byte(`qop=auth`), []byte(`qop="auth,auth-int", x="\"`), 1))
	f.Add([]byte("REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:a@b>\r\nFrom: <sip:a@b>;tag=1\r\n" +
		"Call-ID: c\r\nCSeq: 1 REGISTER\r\nAuthorization: Digest username=\"a\", realm=\"" + testRealm + "\", nonce=\"\"\r\n" +
		"Content-Length: 0\r\n\r\n"))
	parser := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		req, res, err := serve(r, parser, data)
		if err != nil || res == nil {
			return
		}
		if res.StatusCode < 200 || res.StatusCode > 699 {
			t.Fatalf("status %d", res.StatusCode)
		}
		// Credentials are never echoed back.
		var b strings.Builder
		res.StringWrite(&b)
		for _, h := range req.GetHeaders("Authorization") {
			c, err := digest.ParseCredentials(h.Value())
			if err == nil && len(c.Response) >= 16 && strings.Contains(b.String(), c.Response) {
				t.Fatalf("response carries the digest response:\n%s", b.String())
			}
		}
		if res.GetHeader("Authorization") != nil {
			t.Fatalf("response with an Authorization header:\n%s", b.String())
		}
	})
}

// BenchmarkRegister measures the REGISTER-with-auth path without sockets.
// "full" is what one authenticated refresh costs the node: sipgo's
// parser, authentication, the binding update and rendering the 200.
// "auth" is the registrar's own share: Digest parsing, nonce and response
// verification. Run with -benchmem.
func BenchmarkRegister(b *testing.B) {
	r := offline(b, 1)
	p := testPhone(0)
	nonce := r.nonces.Mint(benchNow)
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.MD5} {
		// Distinct Call-IDs, so every request updates the binding, as a
		// refresh does; the table write is skipped as for any refresh
		// that moves the expiry only a little.
		msgs := make([][]byte, 1024)
		for i := range msgs {
			msgs[i] = signedRegister(p, alg, nonce, fmt.Sprintf("bench-%s-%d", alg, i), 2)
		}
		b.Run("full/"+alg.String(), func(b *testing.B) {
			parser := sip.NewParser()
			var out bytes.Buffer
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_, res, err := serve(r, parser, msgs[i%len(msgs)])
				if err != nil || res.StatusCode != sip.StatusOK {
					b.Fatalf("%v %v", res, err)
				}
				out.Reset()
				res.StringWrite(&out)
				i++
			}
		})
		b.Run("auth/"+alg.String(), func(b *testing.B) {
			msg, err := sip.NewParser().ParseSIP(msgs[0])
			if err != nil {
				b.Fatal(err)
			}
			req := msg.(*sip.Request)
			b.ReportAllocs()
			for b.Loop() {
				c, ok, err := ourCredentials(req, testRealm)
				if err != nil || !ok || r.nonces.Check(c.Nonce, benchNow) != digest.NonceValid {
					b.Fatal("bad credentials")
				}
				known, found := r.dir.Credentials(c.Username)
				ha1, usable := r.ha1(known, found, digest.ParseAlgorithm(c.Algorithm))
				if !usable || !digest.Verify(digest.ParseAlgorithm(c.Algorithm), ha1, "REGISTER", &c) {
					b.Fatal("refused")
				}
			}
		})
	}
	if err := r.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
