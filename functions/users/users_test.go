package users_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api/apitest"
	"github.com/switchboard/switchboard/functions/users"
	"github.com/switchboard/switchboard/shared/account"
)

func TestMain(m *testing.M) { os.Exit(apitest.Main(m)) }

// server is the users and accounts functions on a real HTTP server.
type server struct {
	t      *testing.T
	url    string
	outbox string
}

// onBackends runs a test on the embedded store and on DynamoDB Local.
func onBackends(t *testing.T, test func(t *testing.T, s *server)) {
	for _, b := range apitest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := b.Start(t, users.Register, accounts.Register)
			test(t, &server{t: t, url: a.URL, outbox: a.Outbox})
		})
	}
}

func newServer(t *testing.T) *server {
	a := apitest.Start(t, users.Register, accounts.Register)
	return &server{t: t, url: a.URL, outbox: a.Outbox}
}

// at returns the server for use in subtest t.
func (s *server) at(t *testing.T) *server { return &server{t: t, url: s.url, outbox: s.outbox} }

// call sends a JSON request and decodes a JSON answer into out (when not
// nil); it returns the status.
func (s *server) call(method, path, token string, body, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			r = strings.NewReader(raw)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				s.t.Fatal(err)
			}
			r = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// signup makes an account and returns the admin's session token, the
// account id and its test numbers.
func (s *server) signup(email string) (token, accountID string, numbers []string) {
	s.t.Helper()
	var res accounts.SignupResult
	if st := s.call("POST", "/v1/accounts", "", map[string]any{"company": "Acme GmbH", "name": "Ada Admin", "email": email,
		"password": "correct horse battery"}, &res); st != http.StatusCreated {
		s.t.Fatalf("sign up: %d", st)
	}
	for _, n := range res.Numbers {
		numbers = append(numbers, n.Number)
	}
	return res.Session.Token, res.Account.ID, numbers
}

// login sets a new user's password through the welcome e-mail's link and
// returns a session token.
func (s *server) login(email string) string {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.outbox, "*.eml"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		m, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			s.t.Fatal(err)
		}
		if to, _ := netmail.ParseAddress(m.Header.Get("To")); to == nil || to.Address != email {
			continue
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
		_, rest, _ := strings.Cut(string(body), "/#/setup?token=")
		tok, _, _ := strings.Cut(rest, "\n")
		var sess account.Session
		if st := s.call("POST", "/v1/sessions/setup", "", map[string]string{"token": strings.TrimSpace(tok), "password": "a good password"}, &sess); st != http.StatusCreated {
			s.t.Fatalf("set password: %d", st)
		}
		return sess.Token
	}
	s.t.Fatalf("no welcome e-mail to %s", email)
	return ""
}

// problem is an RFC 9457 problem document as huma writes it.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func (p problem) locations() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

// names reports whether the problem names field ("body.devices[1].number"):
// as the location of an error, or, for a missing required property, which
// huma reports at its parent, in the message.
func (p problem) names(field string) bool {
	parent, prop := "", field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		parent, prop = field[:i], field[i+1:]
	}
	for _, e := range p.Errors {
		if e.Location == field || e.Location == parent && strings.Contains(e.Message, "property "+prop+" ") {
			return true
		}
	}
	return false
}

func TestCreateUserOverHTTP(t *testing.T) { onBackends(t, createUserOverHTTP) }

func createUserOverHTTP(t *testing.T, s *server) {
	admin, acct, numbers := s.signup("ada@acme.example")

	var created account.CreatedUser
	st := s.call("POST", "/v1/users", admin, map[string]any{
		"name": "Bob Builder", "email": "bob@acme.example", "location": "Düsseldorf", "language": "en",
		"devices":   []map[string]string{{"kind": "phone", "name": "Desk"}, {"kind": "external", "number": "0171 2345678"}, {"kind": "voicemail"}},
		"number":    numbers[0],
		"extension": "21",
	}, &created)
	if st != http.StatusCreated || created.User.ID != "w1" || len(created.Devices) != 3 || created.Number == nil || created.User.Extension != "21" {
		t.Fatalf("create: %d %+v", st, created)
	}
	phone := created.Devices[0].ID
	if phone != acct+"e0" || created.Devices[1].Number != "+491712345678" {
		t.Fatalf("devices %+v", created.Devices)
	}

	// The phone's SIP settings, never cached.
	req, _ := http.NewRequest("GET", s.url+"/v1/devices/"+phone+"/credentials", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var creds account.Credentials
	_ = json.NewDecoder(resp.Body).Decode(&creds)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || creds.Username != phone || len(creds.Password) != 20 ||
		creds.Registrar != "127.0.0.1" || creds.RegistrarPort != 5060 || creds.STUNPort != 10000 || creds.Expires != 600 {
		t.Fatalf("credentials: %d %v %+v", resp.StatusCode, resp.Header, creds)
	}
	var rotated account.Credentials
	if st := s.call("POST", "/v1/devices/"+phone+"/credentials/rotate", admin, nil, &rotated); st != 200 || rotated.Password == creds.Password {
		t.Fatalf("rotate: %d", st)
	}

	var dev account.DeviceInfo
	if st := s.call("GET", "/v1/devices/"+phone, admin, nil, &dev); st != 200 || dev.Status == nil || dev.Status.Online {
		t.Fatalf("device: %d %+v", st, dev)
	}
	var list struct {
		Items []account.DeviceInfo `json:"items"`
	}
	if st := s.call("GET", "/v1/users/w1/devices", admin, nil, &list); st != 200 || len(list.Items) != 3 {
		t.Fatalf("devices: %d %+v", st, list)
	}

	for _, tc := range []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"missing name", map[string]any{"email": "x@acme.example"}, 422, []string{"body.name"}},
		{"oversize name", map[string]any{"name": strings.Repeat("n", 101), "email": "x@acme.example"}, 422, []string{"body.name"}},
		{"wrong type", `{"name": 5, "email": "x@acme.example"}`, 422, []string{"body.name"}},
		{"bad e-mail", map[string]any{"name": "X", "email": "nope"}, 422, []string{"body.email"}},
		{"unknown device kind", map[string]any{"name": "X", "email": "x@acme.example", "devices": []map[string]string{{"kind": "robot"}}}, 422,
			[]string{"body.devices[0].kind"}},
		{"external phone without number", map[string]any{"name": "X", "email": "x@acme.example",
			"devices": []map[string]string{{"kind": "phone"}, {"kind": "external"}}}, 422, []string{"body.devices[1].number"}},
		{"invalid external number", map[string]any{"name": "X", "email": "x@acme.example",
			"devices": []map[string]string{{"kind": "phone"}, {"kind": "external", "number": "12"}}}, 422, []string{"body.devices[1].number"}},
		{"several wrong fields", map[string]any{"name": "X", "email": "x@acme.example", "extension": "0123", "number": "+4918019999999",
			"groups": []string{"g7"}}, 422, []string{"body.extension", "body.number", "body.groups[0]"}},
		{"duplicate extension", map[string]any{"name": "X", "email": "x@acme.example", "extension": "21"}, 409, []string{"body.extension"}},
		{"duplicate e-mail", map[string]any{"name": "X", "email": "bob@acme.example"}, 409, []string{"body.email"}},
		{"number taken", map[string]any{"name": "X", "email": "x@acme.example", "number": numbers[0]}, 409, []string{"body.number"}},
		{"too many devices", map[string]any{"name": "X", "email": "x@acme.example", "devices": slices.Repeat([]map[string]string{{"kind": "phone"}}, 9)}, 422,
			[]string{"body.devices"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p problem
			if st := s.at(t).call("POST", "/v1/users", admin, tc.body, &p); st != tc.status {
				t.Fatalf("status %d, want %d: %+v", st, tc.status, p)
			}
			for _, f := range tc.fields {
				if !p.names(f) {
					t.Fatalf("problem names %v, not %s (%s)", p.locations(), f, p.Detail)
				}
			}
			var all struct {
				Items []account.UserInfo `json:"items"`
			}
			if s.at(t).call("GET", "/v1/users", admin, nil, &all); len(all.Items) != 2 {
				t.Fatalf("users after a refused create: %+v", all.Items)
			}
		})
	}
}

func TestUsersRoutes(t *testing.T) { onBackends(t, usersRoutes) }

func usersRoutes(t *testing.T, s *server) {
	admin, acct, numbers := s.signup("ada@acme.example")
	otherAdmin, otherAcct, _ := s.signup("owner@other.example")
	var created account.CreatedUser
	if st := s.call("POST", "/v1/users", admin, map[string]any{"name": "Bob", "email": "bob@acme.example", "number": numbers[0],
		"devices": []map[string]string{{"kind": "phone"}}}, &created); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st := s.call("POST", "/v1/users", admin, map[string]any{"name": "Cleo", "email": "cleo@acme.example",
		"devices": []map[string]string{{"kind": "phone"}}}, nil); st != 201 {
		t.Fatalf("create: %d", st)
	}
	bob := s.login("bob@acme.example")
	phone := created.Devices[0].ID

	for _, tc := range []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		field  string
	}{
		{"no credentials", "GET", "/v1/users", "", nil, 401, ""},
		{"admin lists", "GET", "/v1/users?limit=2", admin, nil, 200, ""},
		{"bad cursor", "GET", "/v1/users?cursor=zzz", admin, nil, 422, "query.cursor"},
		{"user reads self", "GET", "/v1/users/w1", bob, nil, 200, ""},
		{"user reads another", "GET", "/v1/users/w2", bob, nil, 403, ""},
		{"user creates", "POST", "/v1/users", bob, map[string]any{"name": "X", "email": "x@acme.example"}, 403, ""},
		{"user deletes", "DELETE", "/v1/users/w2", bob, nil, 403, ""},
		{"user makes self admin", "PATCH", "/v1/users/w1", bob, map[string]any{"admin": true}, 403, "body.admin"},
		{"user sets forwarding", "PATCH", "/v1/users/w1", bob, map[string]any{"forwarding": []map[string]any{{"when": "noAnswer", "after": 15, "target": "0171 2345678"}}}, 200, ""},
		{"forwarding after too long", "PATCH", "/v1/users/w1", bob, map[string]any{"forwarding": []map[string]any{{"when": "noAnswer", "after": 500, "target": "21"}}}, 422, "body.forwarding[0].after"},
		{"forwarding to nowhere", "PATCH", "/v1/users/w1", bob, map[string]any{"forwarding": []map[string]any{{"when": "busy", "target": "99"}}}, 422, "body.forwarding[0].target"},
		{"user sets caller id", "PATCH", "/v1/users/w1", bob, map[string]any{"callerId": numbers[0]}, 200, ""},
		{"caller id of another number", "PATCH", "/v1/users/w1", bob, map[string]any{"callerId": numbers[1]}, 422, "body.callerId"},
		{"admin sets extension", "PATCH", "/v1/users/w1", admin, map[string]any{"extension": "21"}, 200, ""},
		{"extension taken", "PATCH", "/v1/users/w2", admin, map[string]any{"extension": "21"}, 409, "body.extension"},
		{"email taken", "PATCH", "/v1/users/w2", admin, map[string]any{"email": "bob@acme.example"}, 409, "body.email"},
		{"admin demotes self, the only admin", "PATCH", "/v1/users/w0", admin, map[string]any{"admin": false}, 409, "body.admin"},
		{"user renames own phone", "PATCH", "/v1/devices/" + phone, bob, map[string]any{"name": "Desk"}, 200, ""},
		{"user reads own credentials", "GET", "/v1/devices/" + phone + "/credentials", bob, nil, 200, ""},
		{"user reads another's phone", "GET", "/v1/devices/" + acct + "e1", bob, nil, 403, ""},
		{"user adds a phone", "POST", "/v1/users/w1/devices", bob, map[string]any{"kind": "phone"}, 403, ""},
		{"admin adds a phone", "POST", "/v1/users/w1/devices", admin, map[string]any{"kind": "phone", "name": "Softphone"}, 201, ""},
		{"admin adds an external phone without number", "POST", "/v1/users/w1/devices", admin, map[string]any{"kind": "external"}, 422, "body.number"},
		{"device of no user", "POST", "/v1/users/w9/devices", admin, map[string]any{"kind": "phone"}, 404, ""},
		{"device id too long", "GET", "/v1/devices/" + strings.Repeat("1", 31), admin, nil, 422, ""},
		{"other account: user", "GET", "/v1/users/w1", otherAdmin, nil, 404, ""},
		{"other account: devices", "GET", "/v1/users/w1/devices", otherAdmin, nil, 404, ""},
		{"other account: device", "GET", "/v1/devices/" + phone, otherAdmin, nil, 404, ""},
		{"other account: credentials", "GET", "/v1/devices/" + phone + "/credentials", otherAdmin, nil, 404, ""},
		{"other account: rotate", "POST", "/v1/devices/" + phone + "/credentials/rotate", otherAdmin, nil, 404, ""},
		{"other account: patch device", "PATCH", "/v1/devices/" + phone, otherAdmin, map[string]any{"enabled": false}, 404, ""},
		{"other account: delete device", "DELETE", "/v1/devices/" + phone, otherAdmin, nil, 404, ""},
		{"other account: patch user", "PATCH", "/v1/users/w1", otherAdmin, map[string]any{"name": "X"}, 404, ""},
		{"other account: delete user", "DELETE", "/v1/users/w1", otherAdmin, nil, 404, ""},
		{"own id in another account's name", "GET", "/v1/devices/" + otherAcct + "e0", admin, nil, 404, ""},
		{"contact: user creates personal", "POST", "/v1/contacts", bob, map[string]any{"name": "Mum", "numbers": []string{"0211 1234567"}}, 201, ""},
		{"contact: user creates shared", "POST", "/v1/contacts", bob, map[string]any{"name": "X", "shared": true}, 403, "body.shared"},
		{"contact: bad number", "POST", "/v1/contacts", admin, map[string]any{"name": "X", "numbers": []string{"0211 1234567", "abc"}}, 422, "body.numbers[1]"},
		{"contact: too many e-mails", "POST", "/v1/contacts", admin, map[string]any{"name": "X", "emails": slices.Repeat([]string{"a@b.example"}, 6)}, 422, "body.emails"},
		{"contact: admin creates shared", "POST", "/v1/contacts", admin, map[string]any{"name": "Supplier", "shared": true}, 201, ""},
		{"contact: user reads shared", "GET", "/v1/contacts/c1", bob, nil, 200, ""},
		{"contact: user changes shared", "PATCH", "/v1/contacts/c1", bob, map[string]any{"name": "Y"}, 403, ""},
		{"contact: admin reads personal", "GET", "/v1/contacts/c0", admin, nil, 404, ""},
		{"contact: user changes own", "PATCH", "/v1/contacts/c0", bob, map[string]any{"company": "Family"}, 200, ""},
		{"contact: other account", "GET", "/v1/contacts/c1", otherAdmin, nil, 404, ""},
		{"contact: user deletes own", "DELETE", "/v1/contacts/c0", bob, nil, 204, ""},
		{"contact: gone", "GET", "/v1/contacts/c0", bob, nil, 404, ""},
		{"admin deletes a phone", "DELETE", "/v1/devices/" + acct + "e1", admin, nil, 200, ""},
		{"admin deletes self", "DELETE", "/v1/users/w0", admin, nil, 403, ""},
		{"admin deletes a user", "DELETE", "/v1/users/w1", admin, nil, 200, ""},
		{"deleted user is gone", "GET", "/v1/users/w1", admin, nil, 404, ""},
		{"deleted user's session is gone", "GET", "/v1/users/w1", bob, nil, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw json.RawMessage
			st := s.at(t).call(tc.method, tc.path, tc.token, tc.body, &raw)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, raw)
			}
			var p problem
			if st >= 400 {
				if err := json.Unmarshal(raw, &p); err != nil || p.Status != st {
					t.Fatalf("not a problem document: %s", raw)
				}
			}
			if tc.field != "" && !p.names(tc.field) {
				t.Fatalf("problem names %v, not %s (%s)", p.locations(), tc.field, p.Detail)
			}
		})
	}
}

func TestOpenAPIDocument(t *testing.T) {
	s := newServer(t)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if st := s.call("GET", "/v1/openapi.json", "", nil, &doc); st != 200 {
		t.Fatalf("document: %d", st)
	}
	var ids []string
	for _, ops := range doc.Paths {
		for _, op := range ops {
			ids = append(ids, op.OperationID)
		}
	}
	for _, want := range []string{"list-users", "create-user", "get-user", "update-user", "delete-user", "list-devices", "create-device",
		"get-device", "update-device", "delete-device", "get-credentials", "rotate-password", "list-contacts", "create-contact",
		"get-contact", "update-contact", "delete-contact"} {
		if !slices.Contains(ids, want) {
			t.Errorf("operation %s not in the document", want)
		}
	}
}
