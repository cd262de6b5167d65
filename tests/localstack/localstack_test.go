// Package localstack tests the local stack as a newcomer meets it: one
// process that answers HTTP, SIP and STUN, fails clearly on a bad database,
// and stops cleanly.
package localstack

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v2"

	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/tests/harness"
)

func options(target, transport string, port int) string {
	return fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK-%d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=probe%d\r\n"+
		"To: <sip:%s>\r\n"+
		"Call-ID: probe-%d@127.0.0.1\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Content-Length: 0\r\n\r\n", target, transport, port, time.Now().UnixNano(), port, target, time.Now().UnixNano())
}

// sipOptions sends OPTIONS and returns the status line of the answer.
func sipOptions(t *testing.T, network, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	port := conn.LocalAddr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	if _, err := io.WriteString(conn, options(addr, strings.ToUpper(network), int(port))); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("%s OPTIONS to %s: %v", network, addr, err)
	}
	return strings.TrimSpace(line)
}

func stunBinding(t *testing.T, addr string) *net.UDPAddr {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if _, err := conn.Write(req.Raw); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("STUN binding to %s: %v", addr, err)
	}
	res := &stun.Message{Raw: buf[:n]}
	if err := res.Decode(); err != nil {
		t.Fatal(err)
	}
	if res.Type != stun.BindingSuccess || res.TransactionID != req.TransactionID {
		t.Fatalf("STUN answer %v", res)
	}
	var xor stun.XORMappedAddress
	if err := xor.GetFrom(res); err != nil {
		t.Fatal(err)
	}
	return &net.UDPAddr{IP: xor.IP, Port: xor.Port}
}

func TestServicesAnswer(t *testing.T) {
	s := harness.Start(t, harness.Options{})
	t.Logf("ready after %s", s.Ready)
	if s.Ready > 10*time.Second {
		// Not a timing assertion of speed: the promise is that a
		// newcomer's stack answers within 10 s, and the ready line comes
		// after every listener is bound.
		t.Errorf("stack took %s to get ready, want under 10 s", s.Ready)
	}
	resp, err := http.Get(s.URL("/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	for _, tc := range []struct{ network, addr string }{{"udp", s.SIPUDP}, {"tcp", s.SIPTCP}} {
		if got := sipOptions(t, tc.network, tc.addr); got != "SIP/2.0 200 OK" {
			t.Fatalf("%s OPTIONS: %q", tc.network, got)
		}
	}
	mapped := stunBinding(t, s.STUN)
	if !mapped.IP.IsLoopback() || mapped.Port == 0 {
		t.Fatalf("STUN mapped address %v", mapped)
	}
}

func TestRoutesReachable(t *testing.T) {
	s := harness.Start(t, harness.Options{})
	for _, fn := range gateway.HTTP {
		for _, p := range fn.Prefixes {
			for _, path := range []string{p, p + "/x"} {
				if strings.HasSuffix(p, ".json") {
					continue
				}
				resp, err := http.Get(s.URL(path))
				if err != nil {
					t.Fatal(err)
				}
				var prob struct {
					Status int    `json:"status"`
					Title  string `json:"title"`
				}
				err = json.NewDecoder(resp.Body).Decode(&prob)
				resp.Body.Close()
				// Not built yet (501) or built and asking for credentials;
				// never unrouted.
				if resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
					t.Errorf("%s %s: status %d", fn.Name, path, resp.StatusCode)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") || err != nil || prob.Status != resp.StatusCode {
					t.Errorf("%s %s: %s %+v %v, want a problem document", fn.Name, path, ct, prob, err)
				}
			}
		}
	}
	resp, err := http.Get(s.URL("/v1/openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.json: %d %q %v", resp.StatusCode, doc.OpenAPI, err)
	}
	resp, err = http.Get(s.URL("/v1/nothing-here"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d, want 404", resp.StatusCode)
	}
}

func TestBadDatabaseFailsClearly(t *testing.T) {
	t.Run("corrupt", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "switchboard.db"), []byte(strings.Repeat("garbage!", 4096)), 0o600); err != nil {
			t.Fatal(err)
		}
		failsWithOneLine(t, dir, "switchboard.db")
	})
	t.Run("locked", func(t *testing.T) {
		first := harness.Start(t, harness.Options{})
		failsWithOneLine(t, first.Data, "locked")
	})
}

func failsWithOneLine(t *testing.T, data, want string) {
	t.Helper()
	s, err := harness.Launch(t, harness.Options{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	code, err := s.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code == 0 {
		t.Fatalf("exit code 0 for a bad database\n%s", s.Log())
	}
	var errLines []string
	for _, l := range strings.Split(strings.TrimSpace(s.Log()), "\n") {
		if strings.HasPrefix(l, "switchboard: ") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 || !strings.Contains(errLines[0], want) {
		t.Fatalf("want one error line naming %q, got %q\n%s", want, errLines, s.Log())
	}
}

func TestStopsCleanlyAndKeepsData(t *testing.T) {
	data := t.TempDir()
	s, err := harness.Launch(t, harness.Options{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(); err != nil {
		t.Fatal(err)
	}
	if code := s.Stop(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, s.Log())
	}
	if !strings.Contains(s.Log(), `msg="switchboard stopped"`) {
		t.Fatalf("no clean stop in the log\n%s", s.Log())
	}
	// The same data folder opens again: the lock was released.
	again := harness.Start(t, harness.Options{Data: data})
	if _, err := os.Stat(filepath.Join(again.Data, "switchboard.db")); err != nil {
		t.Fatal(err)
	}
}
