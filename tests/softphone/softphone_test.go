// Package softphone tests the local stack with a real softphone, baresip,
// as a customer's phones would use it: two phones register with the
// credentials the API hands out, one calls the other, which answers by
// itself, and both play a tone through the media relay. It checks what a
// customer would see (the call answered by the right phone in the event
// list) and what the relay counted (RTP both ways, in the call's record).
// The B2BUA's details are tested in mediafleet/calls; sipp's scripted
// calls in tests/calls.
package softphone

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

// Bounds of the waits; they only stop a test that would hang, they are
// not timings the test checks.
const (
	startWait    = 15 * time.Second // baresip's command port
	commandWait  = 10 * time.Second // a response of ctrl_tcp
	registerWait = 30 * time.Second // a phone online in the API
	callWait     = 20 * time.Second // call set-up and tear-down
	historyWait  = 30 * time.Second // the call's entry in the event list
)

// talk is how long the phones stay in the call: 20 ms packets give
// about 150 each way.
const talk = 3 * time.Second

// minPackets is the fewest RTP packets each way the relay must have
// carried in talk; far below 150 so that a slow machine still passes.
const minPackets = 50

// device is a desk phone as the API shows its owner's admin.
type device struct {
	ID, Extension string
	Credentials   credentials
}

// credentials are the fields of GET /v1/devices/{id}/credentials a phone
// needs.
type credentials struct {
	Domain            string `json:"domain"`
	Registrar         string `json:"registrar"`
	RegistrarPort     int    `json:"registrarPort"`
	Username          string `json:"username"`
	AuthorizationUser string `json:"authorizationUser"`
	Password          string `json:"password"`
}

// account is the phone's account with its requests sent through proxy
// (host:port) instead of straight to the registrar.
func (c credentials) account(proxy string) account {
	return account{
		AOR:      "sip:" + c.Username + "@" + c.Domain,
		AuthUser: c.AuthorizationUser,
		Password: c.Password,
		Proxy:    "sip:" + proxy + ";transport=udp",
	}
}

// TestSoftphoneCall: extension 22's baresip calls extension 21's baresip
// through the local stack; 21 answers by itself, both send a tone for
// three seconds, the caller hangs up.
func TestSoftphoneCall(t *testing.T) {
	baresipBin(t)
	// Debian 12's baresip (1.0 on libre 1.1) gives up on a 401 or 407
	// that also offers SHA-256 instead of skipping the challenge it does
	// not know: the stack is set to challenge with MD5 alone, as an
	// operator would for such phones.
	s := harness.Start(t, harness.Options{Args: []string{"-sip-digest", "md5"}})
	c := apiclient.New(s.URL(""))
	ctx := context.Background()
	a, err := c.SignUp(ctx, "Softphones", fmt.Sprintf("softphones.%d@example.com", apiclient.Unique()))
	if err != nil {
		t.Fatal(err)
	}
	callee := newDevice(t, c, a.Token, "21")
	caller := newDevice(t, c, a.Token, "22")
	if got := net.JoinHostPort(callee.Credentials.Registrar, strconv.Itoa(callee.Credentials.RegistrarPort)); got != s.SIPUDP {
		t.Fatalf("credentials name registrar %s, the stack listens on %s", got, s.SIPUDP)
	}
	defer func() {
		if t.Failed() {
			t.Logf("--- stack log ---\n%s", s.Log())
		}
	}()

	tone := toneWAV(t, t.TempDir(), 30)
	phoneB := startPhone(t, "callee", callee.Credentials.account(s.SIPUDP), tone)
	phoneA := startPhone(t, "caller", caller.Credentials.account(s.SIPUDP), tone)
	waitOnline(t, c, a.Token, callee.ID)
	waitOnline(t, c, a.Token, caller.ID)
	checkConnection(t, c, a.Token, callee.ID)

	phoneA.command(t, "dial", "sip:"+callee.Extension+"@"+caller.Credentials.Domain)
	phoneB.waitEvent(t, "CALL_ESTABLISHED", callWait)
	phoneA.waitEvent(t, "CALL_ESTABLISHED", callWait)
	time.Sleep(talk)
	phoneA.command(t, "hangup", "")
	phoneA.waitEvent(t, "CALL_CLOSED", callWait)
	phoneB.waitEvent(t, "CALL_CLOSED", callWait)

	entry := waitHistory(t, c, a.Token, callee.ID)
	if entry.Status != "answered" || entry.Direction != "internal" || entry.From != caller.Extension || entry.To != callee.Extension {
		t.Errorf("event list entry %+v, want an answered internal call from %s to %s", entry, caller.Extension, callee.Extension)
	}
	if entry.Duration < 2 {
		t.Errorf("event list entry lasted %d s, want about %s", entry.Duration, talk)
	}

	m := entry.Media
	t.Logf("relay: caller sent %d (callee got %d), callee sent %d (caller got %d); lost %d/%d; call %s, %d s",
		m.CallerSent, m.CalleeReceived, m.CalleeSent, m.CallerReceived, m.CallerLost, m.CalleeLost, entry.Cause, entry.Duration)
	for _, n := range []struct {
		name  string
		count uint64
	}{
		{"caller to relay", m.CallerSent}, {"relay to callee", m.CalleeReceived},
		{"callee to relay", m.CalleeSent}, {"relay to caller", m.CallerReceived},
	} {
		if n.count < minPackets {
			t.Errorf("RTP %s: %d packets, want at least %d in %s", n.name, n.count, minPackets, talk)
		}
	}
	if entry.Cause != "callerHangup" {
		t.Errorf("cause %q, want callerHangup", entry.Cause)
	}
}

// checkConnection has the fleet check a registered phone: baresip answers
// the OPTIONS of its one registration.
func checkConnection(t *testing.T, c *apiclient.Client, token, id string) {
	t.Helper()
	r, err := c.Expect(context.Background(), http.MethodPost, "/v1/devices/"+id+"/check", nil, token)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Online, Reachable, Complete bool
		Results                     []struct {
			Reachable bool    `json:"reachable"`
			Status    int     `json:"status"`
			RTT       float64 `json:"rttMs"`
		} `json:"results"`
	}
	if err := r.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !got.Online || !got.Reachable || !got.Complete || len(got.Results) != 1 || got.Results[0].Status != 200 || got.Results[0].RTT <= 0 {
		t.Errorf("connection check of %s: %s, want its one registration reachable", id, r)
	}
}

// newDevice creates a user with extension ext and a desk phone, and reads
// the phone's SIP credentials.
func newDevice(t *testing.T, c *apiclient.Client, token, ext string) device {
	t.Helper()
	ctx := context.Background()
	r, err := c.Expect(ctx, http.MethodPost, "/v1/users", map[string]any{
		"name": "Extension " + ext, "email": fmt.Sprintf("ext%s.%d@example.com", ext, apiclient.Unique()), "extension": ext,
		"devices": []any{map[string]any{"kind": "phone", "name": "Softphone"}},
	}, token, http.StatusCreated, http.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Devices []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"devices"`
	}
	if err := r.Decode(&created); err != nil {
		t.Fatal(err)
	}
	d := device{Extension: ext}
	for _, dev := range created.Devices {
		if dev.Kind == "phone" {
			d.ID = dev.ID
		}
	}
	if d.ID == "" {
		t.Fatalf("user with extension %s has no phone: %s", ext, r)
	}
	r, err = c.Expect(ctx, http.MethodGet, "/v1/devices/"+url.PathEscape(d.ID)+"/credentials", nil, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Decode(&d.Credentials); err != nil {
		t.Fatal(err)
	}
	if d.Credentials.Password == "" || d.Credentials.AuthorizationUser == "" || d.Credentials.Domain == "" || d.Credentials.Registrar == "" {
		t.Fatalf("incomplete credentials of %s: %s", d.ID, r)
	}
	return d
}

// waitOnline reads the device until the API shows it online with a
// registration: baresip registers in the background once it started,
// and the registrar writes the binding shortly after its 200.
func waitOnline(t *testing.T, c *apiclient.Client, token, id string) {
	t.Helper()
	var last *apiclient.Response
	for deadline := time.Now().Add(registerWait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		r, err := c.Expect(context.Background(), http.MethodGet, "/v1/devices/"+url.PathEscape(id), nil, token)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status struct {
				Online        bool  `json:"online"`
				Registrations []any `json:"registrations"`
			} `json:"status"`
		}
		if err := r.Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Status.Online && len(st.Status.Registrations) > 0 {
			return
		}
		last = r
	}
	t.Fatalf("device %s after %s: %s, want online with a registration", id, registerWait, last)
}

// historyEntry is the part of an event list entry the test checks.
type historyEntry struct {
	ID         string `json:"id"`
	Direction  string `json:"direction"`
	Status     string `json:"status"`
	From       string `json:"from"`
	To         string `json:"to"`
	AnsweredBy string `json:"answeredBy"`
	Duration   int    `json:"duration"`
	Cause      string `json:"cause"`
	Media      struct {
		CallerSent     uint64 `json:"callerSent"`
		CallerReceived uint64 `json:"callerReceived"`
		CalleeSent     uint64 `json:"calleeSent"`
		CalleeReceived uint64 `json:"calleeReceived"`
		CallerLost     uint64 `json:"callerLost"`
		CalleeLost     uint64 `json:"calleeLost"`
	} `json:"media"`
}

// waitHistory reads the account's event list until the call answered by
// device shows; the stack writes the record when the call ended.
func waitHistory(t *testing.T, c *apiclient.Client, token, device string) historyEntry {
	t.Helper()
	var last *apiclient.Response
	for deadline := time.Now().Add(historyWait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		r, err := c.Expect(context.Background(), http.MethodGet, "/v1/history?type=call", nil, token)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Items []historyEntry `json:"items"`
		}
		if err := r.Decode(&list); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.AnsweredBy == device {
				return e
			}
		}
		last = r
	}
	t.Fatalf("event list after %s: %s, want a call answered by %s", historyWait, last, device)
	return historyEntry{}
}
