// Package calls tests real calls through the whole local stack, as a
// newcomer would make it: sign up, create two users with a desk phone
// each over the HTTP API, read the phones' SIP credentials from the API,
// then register one phone and call it from the other with sipp, with
// PCMA both ways through the media relay. It is not a test of the B2BUA's
// details (mediafleet/calls has those); it checks that the pieces the
// stack wires together make a call.
package calls

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/mediafleet/calls/callstest"
	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

// logWait bounds the wait for the stack's log lines of a call that is
// over; it only stops a test whose stack never writes them.
const logWait = 30 * time.Second

// phone is a desk phone as the API shows its owner's admin.
type phone struct {
	User, Device, Extension string
	Credentials             credentials
}

// credentials are the fields of GET /v1/devices/{id}/credentials a phone
// needs.
type credentials struct {
	Domain            string `json:"domain"`
	Realm             string `json:"realm"`
	Registrar         string `json:"registrar"`
	RegistrarPort     int    `json:"registrarPort"`
	Username          string `json:"username"`
	AuthorizationUser string `json:"authorizationUser"`
	Password          string `json:"password"`
}

func (c credentials) registrar() string {
	return net.JoinHostPort(c.Registrar, strconv.Itoa(c.RegistrarPort))
}

// auth is sipp's authentication keyword for the injection file.
func (c credentials) auth(password string) string {
	return fmt.Sprintf("[authentication username=%s password=%s]", c.AuthorizationUser, password)
}

// newPhone creates a user with extension ext and a desk phone and reads
// the phone's credentials.
func newPhone(t *testing.T, c *apiclient.Client, token, ext string) phone {
	t.Helper()
	return newUser(t, c, token, ext, 1)[0]
}

// newUser creates a user with extension ext and n desk phones and reads
// the phones' credentials.
func newUser(t *testing.T, c *apiclient.Client, token, ext string, n int) []phone {
	t.Helper()
	ctx := context.Background()
	var devices []any
	for i := range n {
		devices = append(devices, map[string]any{"kind": "phone", "name": fmt.Sprintf("Desk %d", i+1)})
	}
	r, err := c.Expect(ctx, http.MethodPost, "/v1/users", map[string]any{
		"name": "Extension " + ext, "email": fmt.Sprintf("ext%s.%d@example.com", ext, apiclient.Unique()), "extension": ext,
		"devices": devices,
	}, token, http.StatusCreated, http.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Devices []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"devices"`
	}
	if err := r.Decode(&created); err != nil {
		t.Fatal(err)
	}
	var out []phone
	for _, d := range created.Devices {
		if d.Kind != "phone" {
			continue
		}
		p := phone{User: created.User.ID, Device: d.ID, Extension: ext}
		r, err = c.Expect(ctx, http.MethodGet, "/v1/devices/"+url.PathEscape(p.Device)+"/credentials", nil, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Decode(&p.Credentials); err != nil {
			t.Fatal(err)
		}
		if p.Credentials.Password == "" || p.Credentials.AuthorizationUser == "" || p.Credentials.Domain == "" {
			t.Fatalf("incomplete credentials of %s: %+v", p.Device, p.Credentials)
		}
		out = append(out, p)
	}
	if len(out) != n || created.User.ID == "" {
		t.Fatalf("user with extension %s: %d phones, id %q", ext, len(out), created.User.ID)
	}
	return out
}

// deviceStatus is the status of GET /v1/devices/{id}.
type deviceStatus struct {
	Status struct {
		Online        bool  `json:"online"`
		Registrations []any `json:"registrations"`
	} `json:"status"`
}

// waitOnline reads the phone until the API shows it online with a
// registration. The registrar answers REGISTER first and writes the
// binding to the table after (its writer batches them off the REGISTER
// path), so the API may show the phone offline for a moment after the
// phone has its 200; the read is repeated, bounded by logWait.
func waitOnline(t *testing.T, c *apiclient.Client, token, device string) {
	t.Helper()
	var last *apiclient.Response
	reads := 0
	for deadline := time.Now().Add(logWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r, err := c.Expect(context.Background(), http.MethodGet, "/v1/devices/"+url.PathEscape(device), nil, token)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		var st deviceStatus
		if err := r.Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Status.Online && len(st.Status.Registrations) > 0 {
			t.Logf("callee's phone online at read %d", reads)
			return
		}
		last = r
	}
	t.Fatalf("callee's phone after REGISTER: %s, want online with a registration", last)
}

// TestCall: extension 12's phone calls extension 11's phone through the
// local stack. The callee registers and answers with an RTP echo; the
// caller answers the 407 with its digest credentials, plays two seconds of
// PCMA and hangs up. Then the same caller with a wrong password gets no
// call, and the stack stays up.
func TestCall(t *testing.T) {
	sippBin(t)
	s := harness.Start(t, harness.Options{})
	c := apiclient.New(s.URL(""))
	ctx := context.Background()
	a, err := c.SignUp(ctx, "Calls", fmt.Sprintf("calls.%d@example.com", apiclient.Unique()))
	if err != nil {
		t.Fatal(err)
	}
	callee := newPhone(t, c, a.Token, "11")
	caller := newPhone(t, c, a.Token, "12")
	node := caller.Credentials.registrar()
	if node != s.SIPUDP {
		t.Errorf("credentials name registrar %s, the stack listens on %s", node, s.SIPUDP)
		node = s.SIPUDP
	}

	dir := t.TempDir()
	writeFile(t, dir, "g711a.pcap", callstest.PCMAPcap(100))
	calleeCSV := writeFile(t, dir, "callee.csv", []byte(fmt.Sprintf("SEQUENTIAL\n%s;%s;%s\n",
		callee.Credentials.Username, callee.Credentials.Domain, callee.Credentials.auth(callee.Credentials.Password))))
	callerCSV := writeFile(t, dir, "caller.csv", []byte(fmt.Sprintf("SEQUENTIAL\n%s;%s;%s;%s\n",
		caller.Credentials.Username, callee.Extension, caller.Credentials.Domain, caller.Credentials.auth(caller.Credentials.Password))))
	sctx, cancel := context.WithTimeout(ctx, 3*sippTimeout)
	defer cancel()

	// The callee registers from the port it then answers on.
	calleePort := freeUDPPort(t)
	if out, err := sipp(sctx, t, dir, "register.xml", "register", "-inf", calleeCSV, "-p", strconv.Itoa(calleePort), node).CombinedOutput(); err != nil {
		sippFailed(t, dir, "register", out, err)
		return
	}
	waitOnline(t, c, a.Token, callee.Device)

	uas := sipp(sctx, t, dir, "uas.xml", "uas", "-p", strconv.Itoa(calleePort), "-mp", strconv.Itoa(freeUDPPort(t)&^1), "-rtp_echo")
	var uasOut bytes.Buffer
	uas.Stdout, uas.Stderr = &uasOut, &uasOut
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	uac := sipp(sctx, t, dir, "uac.xml", "uac", "-inf", callerCSV, "-mp", strconv.Itoa(freeUDPPort(t)&^1), node)
	if out, err := uac.CombinedOutput(); err != nil {
		sippFailed(t, dir, "uac", out, err)
	}
	if err := uas.Wait(); err != nil {
		sippFailed(t, dir, "uas", uasOut.Bytes(), err)
	}
	if t.Failed() {
		t.Logf("--- stack log ---\n%s", s.Log())
		return
	}
	checkRelay(t, c, a.Token, start, callee.Device)

	t.Run("wrong password", func(t *testing.T) { wrongPassword(t, s, dir, node, caller, callee) })
}

// checkRelay checks, in the event list, that the call's RTP went both
// ways through the relay and that the caller's BYE ended it.
func checkRelay(t *testing.T, c *apiclient.Client, token string, since time.Time, callee string) {
	t.Helper()
	e := lastCall(t, c, token, since)
	if e.Cause != "callerHangup" || e.AnsweredBy != callee || e.Media == nil {
		t.Fatalf("call ended with cause %q answered by %q, media %v; want callerHangup by %s, with media", e.Cause, e.AnsweredBy, e.Media, callee)
	}
	m := e.Media
	if m.CallerSent == 0 || m.CalleeReceived == 0 || m.CalleeSent == 0 || m.CallerReceived == 0 {
		t.Errorf("relay counts %+v: RTP did not pass the relay both ways", *m)
	}
	t.Logf("relay: caller sent %d, callee received %d, callee sent %d, caller received %d",
		m.CallerSent, m.CalleeReceived, m.CalleeSent, m.CallerReceived)
}

// wrongPassword: the caller's phone answers the 407 with a wrong
// password. The stack must not put the call through: sipp's caller
// scenario, which wants a 200, fails on a second 407 or a 403, and the
// stack keeps serving.
func wrongPassword(t *testing.T, s *harness.Stack, dir, node string, caller, callee phone) {
	// The first call's record is in the event list before its log line
	// is written: wait for the line, then count.
	for deadline := time.Now().Add(logWait); strings.Count(s.Log(), `msg="call ended"`) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	calls := strings.Count(s.Log(), `msg="call ended"`)
	csv := writeFile(t, dir, "wrong.csv", []byte(fmt.Sprintf("SEQUENTIAL\n%s;%s;%s;%s\n",
		caller.Credentials.Username, callee.Extension, caller.Credentials.Domain, caller.Credentials.auth("not-"+caller.Credentials.Password))))
	ctx, cancel := context.WithTimeout(context.Background(), sippTimeout)
	defer cancel()
	// sipp takes the stack's 407 to its second INVITE for a repeat of the
	// first and sends its ACK again, so it would wait out its INVITE
	// retransmissions (32 s); -recv_timeout ends the wait for the 200
	// sooner. It bounds sipp, not the stack: the answer is checked below.
	out, err := sipp(ctx, t, dir, "uac.xml", "wrong", "-recv_timeout", "5000", "-inf", csv, "-mp", strconv.Itoa(freeUDPPort(t)&^1), node).CombinedOutput()
	if err == nil {
		t.Errorf("sipp with a wrong password completed the call\n%s", out)
		sippLogs(t, dir, "wrong")
	}
	msgs, rerr := os.ReadFile(filepath.Join(dir, "wrong.messages"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	final := finalToAuthenticated(string(msgs))
	if final != 403 && final != 407 {
		t.Errorf("INVITE with a wrong password: final answer %d, want 403 or 407", final)
		sippLogs(t, dir, "wrong")
	}
	if strings.Contains(string(msgs), "SIP/2.0 200") || strings.Contains(string(msgs), "SIP/2.0 180") {
		t.Errorf("INVITE with a wrong password rang or was answered")
		sippLogs(t, dir, "wrong")
	}
	if n := strings.Count(s.Log(), `msg="call ended"`); n != calls {
		t.Errorf("%d calls ended after the wrong password, want none", n-calls)
	}
	r, err := http.Get(s.URL("/healthz"))
	if err != nil {
		t.Fatalf("stack after the wrong password: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz after the wrong password: %d, want 200", r.StatusCode)
	}
}

// finalToAuthenticated returns the status of the first final answer sipp
// received to the INVITE with credentials (CSeq 2), or 0.
func finalToAuthenticated(messages string) int {
	for _, msg := range strings.Split(messages, "received [") {
		first, _, _ := strings.Cut(strings.TrimSpace(msg[strings.Index(msg, "\n")+1:]), "\n")
		if !strings.HasPrefix(first, "SIP/2.0 ") || !strings.Contains(msg, "CSeq: 2 INVITE") {
			continue
		}
		code, _ := strconv.Atoi(strings.Fields(first)[1])
		if code >= 200 {
			return code
		}
	}
	return 0
}
