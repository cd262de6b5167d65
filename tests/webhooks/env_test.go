// Package webhooks tests the call events webhooks end to end: real calls
// placed with sipp through the local stack (infra/local, started by
// tests/harness), a trunk that is a sipp peer on loopback, and the
// integration's server a Go HTTP server on loopback. The account, its
// users, phones, group and webhook settings are made over the API, as an
// integrator would; each test then checks the exact bodies the
// integration receives, their signature, and what the calls did.
//
// The stack knows its trunk by address and port, so a trunk that calls in
// (a sipp UAC) and a trunk that takes calls (a sipp UAS) cannot bind the
// same port at once: each test that needs one has a stack of its own.
package webhooks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/mediafleet/calls/callstest"
	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

// hookWait bounds the wait for a webhook that is due; it only stops a
// test whose webhook never comes.
const hookWait = 20 * time.Second

// env is one running stack with an account set up for webhooks.
type env struct {
	t      *testing.T
	stack  *harness.Stack
	api    *apiclient.Client
	acct   apiclient.Account
	secret string // the signing secret, as the API showed it once
	hooks  *receiver
	trunk  int    // the trunk's UDP port on 127.0.0.1
	dir    string // sipp's working folder
	users  []*user
	group  group
	seq    atomic.Int64
}

// user is a user with one desk phone, as the API shows them.
type user struct {
	ID, FullID, Name, Extension string
	Number                      string // E.164 with '+', "" when none is routed to the user
	Device                      string
	Cred                        credentials
	Port                        int // the phone's SIP port: it registered from it and answers there
}

// group is a group with a number.
type group struct {
	ID, Extension, Number string
	Members               []*user
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

func (c credentials) auth() string {
	return fmt.Sprintf("[authentication username=%s password=%s]", c.AuthorizationUser, c.Password)
}

// setup says what an env makes.
type setup struct {
	// events are the account URLs' events (default newCall only: answer
	// and hangup then come through a steering response's URLs).
	events []string
	// carla adds a third user with a desk phone (extension 13) and the
	// account's third number, which she forwards to Bernd (always).
	carla bool
	// args are extra flags of the stack.
	args []string
	// jsonOut gives Bernd an override of the outgoing URL: /json, with
	// bodies in JSON, subscribed to every event.
	jsonOut bool
}

// newEnv starts a stack whose trunk is 127.0.0.1:<free port>, signs an
// account up, creates two users with a desk phone each (Anna with the
// account's first number, which is also her caller id; Bernd with the
// fourth, the same), a group
// of both with the second number, points the account's incoming and
// outgoing webhook URLs at a receiver, and registers both phones.
func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	sippBin(t)
	e := &env{t: t, hooks: newReceiver(t), trunk: freeUDPPort(t), dir: t.TempDir()}
	e.stack = harness.Start(t, harness.Options{Args: append([]string{"-trunk", "127.0.0.1:" + strconv.Itoa(e.trunk)}, s.args...)})
	e.api = apiclient.New(e.stack.URL(""))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	if e.acct, err = e.api.SignUp(ctx, "Webhooks GmbH", fmt.Sprintf("webhooks.%d.%d@example.com", time.Now().UnixNano(), apiclient.Unique())); err != nil {
		t.Fatal(err)
	}
	if len(e.acct.Numbers) < 4 {
		t.Fatalf("account came with numbers %v, want four or more", e.acct.Numbers)
	}
	e.users = []*user{
		e.newUser(ctx, "Anna Alpha", "11", e.acct.Numbers[0]),
		e.newUser(ctx, "Bernd Beta", "12", e.acct.Numbers[3]),
	}
	if s.carla {
		carla := e.newUser(ctx, "Carla Gamma", "13", e.acct.Numbers[2])
		if _, err := e.api.Expect(ctx, http.MethodPatch, "/v1/users/"+carla.ID,
			map[string]any{"forwarding": []any{map[string]any{"when": "always", "target": e.users[1].Extension}}}, e.acct.Token); err != nil {
			t.Fatal(err)
		}
		e.users = append(e.users, carla)
	}
	e.group = e.newGroup(ctx, "Sales", "20", e.acct.Numbers[1], e.users...)
	e.setWebhooks(ctx, s)
	writeFile(t, e.dir, "g711a.pcap", callstest.PCMAPcap(25))
	for _, u := range e.users {
		e.register(ctx, u)
	}
	return e
}

// newUser creates a user with a desk phone and reads its credentials.
func (e *env) newUser(ctx context.Context, name, ext, number string) *user {
	t := e.t
	body := map[string]any{"name": name, "email": fmt.Sprintf("u%d.%d@example.com", time.Now().UnixNano(), apiclient.Unique()),
		"extension": ext, "devices": []any{map[string]any{"kind": "phone", "name": "Desk"}}}
	if number != "" {
		body["number"] = number
	}
	r, err := e.api.Expect(ctx, http.MethodPost, "/v1/users", body, e.acct.Token, http.StatusCreated, http.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		User struct {
			ID     string `json:"id"`
			FullID string `json:"fullId"`
		} `json:"user"`
		Devices []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"devices"`
	}
	if err := r.Decode(&created); err != nil {
		t.Fatal(err)
	}
	u := &user{ID: created.User.ID, FullID: created.User.FullID, Name: name, Extension: ext, Number: number}
	for _, d := range created.Devices {
		if d.Kind == "phone" {
			u.Device = d.ID
		}
	}
	if u.ID == "" || u.Device == "" || u.FullID != e.acct.ID+u.ID {
		t.Fatalf("created user: %s", r)
	}
	if number != "" {
		// The user shows the number when calling out (U5); without a
		// caller id the trunk is told the caller is anonymous.
		if _, err := e.api.Expect(ctx, http.MethodPatch, "/v1/users/"+u.ID, map[string]any{"callerId": number}, e.acct.Token); err != nil {
			t.Fatal(err)
		}
	}
	r, err = e.api.Expect(ctx, http.MethodGet, "/v1/devices/"+url.PathEscape(u.Device)+"/credentials", nil, e.acct.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Decode(&u.Cred); err != nil {
		t.Fatal(err)
	}
	if got := net.JoinHostPort(u.Cred.Registrar, strconv.Itoa(u.Cred.RegistrarPort)); got != e.stack.SIPUDP {
		t.Fatalf("credentials name registrar %s, the stack listens on %s", got, e.stack.SIPUDP)
	}
	return u
}

// newGroup creates a group with a number and members.
func (e *env) newGroup(ctx context.Context, name, ext, number string, members ...*user) group {
	ids := []string{}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	r, err := e.api.Expect(ctx, http.MethodPost, "/v1/groups", map[string]any{"name": name, "extension": ext, "number": number, "members": ids},
		e.acct.Token, http.StatusCreated, http.StatusOK)
	if err != nil {
		e.t.Fatal(err)
	}
	g := group{ID: apiclient.Str(r.JSON, "id"), Extension: ext, Number: number, Members: members}
	if g.ID == "" {
		e.t.Fatalf("created group: %s", r)
	}
	return g
}

// setWebhooks points the account's incoming and outgoing URLs at the
// receiver (/in and /out), and Bernd's override at /json when asked, and
// keeps the signing secret the answer shows.
func (e *env) setWebhooks(ctx context.Context, s setup) {
	t := e.t
	hook := func(p string) map[string]any {
		h := map[string]any{"url": e.hooks.URL(p), "format": "form"}
		if len(s.events) > 0 {
			h["events"] = s.events
		}
		return h
	}
	settings := map[string]any{"incoming": hook("/in"), "outgoing": hook("/out")}
	if s.jsonOut {
		settings["overrides"] = []any{map[string]any{"userId": e.users[1].ID,
			"outgoing": map[string]any{"url": e.hooks.URL("/json"), "format": "json", "events": []string{"newCall", "answer", "hangup"}}}}
	}
	r, err := e.api.Expect(ctx, http.MethodPut, "/v1/webhooks", settings, e.acct.Token)
	if err != nil {
		t.Fatal(err)
	}
	e.secret = apiclient.Str(r.JSON, "signingSecret")
	if !strings.HasPrefix(e.secret, "sbw_") {
		t.Fatalf("PUT /v1/webhooks showed no signing secret: %s", r)
	}
	r, err = e.api.Expect(ctx, http.MethodGet, "/v1/webhooks", nil, e.acct.Token)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r.Raw), e.secret) {
		t.Errorf("GET /v1/webhooks shows the signing secret again: %s", r)
	}
}

// register registers a user's phone from a free port with sipp and waits
// until the API shows it online.
func (e *env) register(ctx context.Context, u *user) {
	t := e.t
	u.Port = freeUDPPort(t)
	inf := csv(t, e.dir, "register-"+u.ID+".csv", u.Cred.Username, u.Cred.Domain, u.Cred.auth())
	if !sipp(t, e.dir, "register.xml", "register-"+u.ID, "-inf", inf, "-p", strconv.Itoa(u.Port), e.stack.SIPUDP).run(t) {
		t.FailNow()
	}
	for deadline := time.Now().Add(hookWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r, err := e.api.Expect(ctx, http.MethodGet, "/v1/devices/"+url.PathEscape(u.Device), nil, e.acct.Token)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status struct {
				Online bool `json:"online"`
			} `json:"status"`
		}
		if err := r.Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Status.Online {
			return
		}
	}
	t.Fatalf("phone %s not online after REGISTER", u.Device)
}

// trace returns a fresh name for a sipp run's files.
func (e *env) trace(what string) string {
	return fmt.Sprintf("%s-%d", what, e.seq.Add(1))
}

// caller returns a caller number prefix of its own: the trunk's calls
// present it followed by their call number (1, 2, …), so every call of
// a test has a number no other call has. All prefixes have one length,
// so that no prefix and call number equal another's.
func (e *env) caller() string {
	return fmt.Sprintf("49302%02d0", e.seq.Add(1))
}

// trunkCall prepares a call from the trunk with scenario name (a
// trunk_*.xml) from the caller prefix from to number dialled (E.164
// digits), the SDP offering RTP at rtpPort (0: sipp's own media port).
func (e *env) trunkCall(t *testing.T, name, from, dialled string, rtpPort int, args ...string) *sippRun {
	t.Helper()
	mp := freeUDPPort(t)
	if rtpPort == 0 {
		rtpPort = mp
	}
	tr := e.trace(strings.TrimSuffix(name, ".xml"))
	inf := csv(t, e.dir, tr+".csv", from, dialled, rtpPort)
	all := append([]string{"-inf", inf, "-p", strconv.Itoa(e.trunk), "-mp", strconv.Itoa(mp)}, args...)
	return sipp(t, e.dir, name, tr, append(all, e.stack.SIPUDP)...)
}

// phoneAnswers prepares u's phone to take calls with scenario name: uas.xml
// (answers, echoes RTP, waits for BYE), phone_busy.xml or phone_ring.xml.
func (e *env) phone(t *testing.T, u *user, name string, args ...string) *sippRun {
	t.Helper()
	all := append([]string{"-p", strconv.Itoa(u.Port), "-mp", strconv.Itoa(freeUDPPort(t))}, args...)
	if name == "uas.xml" {
		all = append(all, "-rtp_echo")
	}
	return sipp(t, e.dir, name, e.trace(u.ID+"-"+strings.TrimSuffix(name, ".xml")), all...)
}

// phoneCall prepares a call from u's phone to dialled, with uac.xml
// (authenticates, two seconds of PCMA, BYE).
func (e *env) phoneCall(t *testing.T, u *user, dialled string) *sippRun {
	t.Helper()
	tr := e.trace(u.ID + "-uac")
	inf := csv(t, e.dir, tr+".csv", u.Cred.Username, dialled, u.Cred.Domain, u.Cred.auth())
	return sipp(t, e.dir, "uac.xml", tr, "-inf", inf, "-mp", strconv.Itoa(freeUDPPort(t)), e.stack.SIPUDP)
}

// trunkPeer prepares the trunk to take a call from the stack with
// scenario name (uas.xml answers).
func (e *env) trunkPeer(t *testing.T, name string, args ...string) *sippRun {
	t.Helper()
	all := append([]string{"-p", strconv.Itoa(e.trunk), "-mp", strconv.Itoa(freeUDPPort(t))}, args...)
	if name == "uas.xml" {
		all = append(all, "-rtp_echo")
	}
	return sipp(t, e.dir, name, e.trace("trunk-"+strings.TrimSuffix(name, ".xml")), all...)
}

// digits is an E.164 number as the bodies carry it.
func digits(e164 string) string { return strings.TrimPrefix(e164, "+") }

// failLog adds the stack's log to a failed test.
func (e *env) failLog(t *testing.T) {
	t.Helper()
	if t.Failed() {
		log := e.stack.Log()
		if len(log) > 30000 {
			log = log[len(log)-30000:]
		}
		t.Logf("--- stack log (tail) ---\n%s", log)
	}
}
