package accounts_test

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api/apitest"
	"github.com/switchboard/switchboard/functions/users"
	"github.com/switchboard/switchboard/shared/account"
)

func TestMain(m *testing.M) { os.Exit(apitest.Main(m)) }

// local is the accounts function as the local stack mounts it: http and
// loopback URLs are fine.
var local = accounts.WithWebhookURLs(account.URLPolicy{})

// signed is a loopback consumer that checks every request's signature
// with the secret it is told.
type signed struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	bodies []string
	valid  []bool
}

func newSigned(t *testing.T) *signed {
	s := &signed{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		err := webhook.Verify([]byte(s.secret), r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
		s.bodies, s.valid = append(s.bodies, string(body)), append(s.valid, err == nil)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestWebhookSettings runs on both store adapters.
func TestWebhookSettings(t *testing.T) {
	for _, b := range apitest.Backends() {
		t.Run(b.Name, func(t *testing.T) { webhookSettings(t, b.Start(t, local, users.Register)) })
	}
}

func webhookSettings(t *testing.T, s *apitest.Server) {
	a := s.SignUp(t, "Acme", "ada@acme.example")
	r := s.Do(t, http.MethodGet, "/v1/webhooks", nil, a.Token)
	if r.Status != 200 || r.Body["secret"].(map[string]any)["set"] != false || len(r.Body["overrides"].([]any)) != 0 {
		t.Fatalf("fresh settings: %d %s", r.Status, r.Raw)
	}
	crm := newSigned(t)
	r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "Sales"}, a.Token)
	body := map[string]any{
		"incoming":  map[string]any{"url": crm.URL + "/in", "users": []string{"w0"}, "events": []string{"newCall", "hangup"}},
		"outgoing":  map[string]any{"url": crm.URL + "/out", "format": "json"},
		"overrides": []any{map[string]any{"userId": "w0", "outgoing": map[string]any{"url": crm.URL + "/ada"}}},
	}
	r = s.Do(t, http.MethodPut, "/v1/webhooks", body, a.Token)
	secret, _ := r.Body["signingSecret"].(string)
	if r.Status != 200 || len(secret) < 40 || secret[:4] != "sbw_" {
		t.Fatalf("first settings: %d %s", r.Status, r.Raw)
	}
	in := r.Body["incoming"].(map[string]any)
	if in["format"] != "form" || r.Body["outgoing"].(map[string]any)["events"].([]any)[0] != "newCall" {
		t.Fatalf("defaults not filled in: %s", r.Raw)
	}
	// The secret is shown once: not when read, not when settings change.
	if r = s.Do(t, http.MethodGet, "/v1/webhooks", nil, a.Token); r.Body["signingSecret"] != nil || r.Body["secret"].(map[string]any)["set"] != true {
		t.Fatalf("read after creation: %s", r.Raw)
	}
	if r = s.Do(t, http.MethodPut, "/v1/webhooks", body, a.Token); r.Status != 200 || r.Body["signingSecret"] != nil {
		t.Fatalf("second settings: %d %s", r.Status, r.Raw)
	}
	// Test requests are signed with it, to every URL, and logged.
	crm.mu.Lock()
	crm.secret = secret
	crm.mu.Unlock()
	r = s.Do(t, http.MethodPost, "/v1/webhooks/test", nil, a.Token)
	if r.Status != 200 || len(r.Body["items"].([]any)) != 3 {
		t.Fatalf("test: %d %s", r.Status, r.Raw)
	}
	crm.mu.Lock()
	if len(crm.valid) != 3 || slices.Contains(crm.valid, false) {
		t.Fatalf("test requests verified %v", crm.valid)
	}
	crm.mu.Unlock()
	// Rotation: a new secret, shown once; the old one no longer verifies.
	r = s.Do(t, http.MethodPost, "/v1/webhooks/secret/rotate", nil, a.Token)
	rotated, _ := r.Body["signingSecret"].(string)
	if r.Status != 200 || rotated == "" || rotated == secret {
		t.Fatalf("rotate: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodGet, "/v1/webhooks/deliveries?limit=2", nil, a.Token)
	items := r.Body["items"].([]any)
	next, _ := r.Body["next"].(string)
	if r.Status != 200 || len(items) != 2 || next == "" {
		t.Fatalf("deliveries: %d %s", r.Status, r.Raw)
	}
	first := items[0].(map[string]any)
	if first["event"] != "test" || first["ok"] != true || first["status"].(float64) != 200 {
		t.Fatalf("logged delivery %v", first)
	}
	r = s.Do(t, http.MethodPost, "/v1/webhooks/deliveries/"+first["id"].(string)+"/resend", nil, a.Token)
	if r.Status != 200 || r.Body["resendOf"] != first["id"] || r.Body["eventId"] != first["eventId"] {
		t.Fatalf("resend: %d %s", r.Status, r.Raw)
	}
	crm.mu.Lock()
	if n := len(crm.valid); n != 4 || crm.valid[3] {
		t.Fatalf("resent with the rotated secret, the old one must not verify: %v", crm.valid)
	}
	crm.mu.Unlock()

	// Another account sees none of it and cannot resend it.
	b := s.SignUp(t, "Bravo", "bob@bravo.example")
	if r = s.Do(t, http.MethodGet, "/v1/webhooks/deliveries", nil, b.Token); r.Status != 200 || len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("B's log: %s", r.Raw)
	}
	if r = s.Do(t, http.MethodPost, "/v1/webhooks/deliveries/"+first["id"].(string)+"/resend", nil, b.Token); r.Status != http.StatusNotFound {
		t.Fatalf("B resends A's delivery: %d %s", r.Status, r.Raw)
	}
	if r = s.Do(t, http.MethodGet, "/v1/webhooks/deliveries?cursor="+next, nil, b.Token); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("B with A's cursor: %d %s", r.Status, r.Raw)
	}
	if r = s.Do(t, http.MethodPost, "/v1/webhooks/test", nil, b.Token); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("test without URLs: %d %s", r.Status, r.Raw)
	}
}

// TestWebhookSettingsInvalid: every wrong field is named, and nothing is
// written.
func TestWebhookSettingsInvalid(t *testing.T) {
	s := apitest.Start(t, local)
	a := s.SignUp(t, "Acme", "ada@acme.example")
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"ftp URL", map[string]any{"incoming": map[string]any{"url": "ftp://crm.example/in"}}, "body.incoming.url"},
		{"relative URL", map[string]any{"incoming": map[string]any{"url": "/in"}}, "body.incoming.url"},
		{"credentials in the URL", map[string]any{"outgoing": map[string]any{"url": "https://u:p@crm.example/"}}, "body.outgoing.url"},
		{"unknown format", map[string]any{"incoming": map[string]any{"url": "https://crm.example/", "format": "xml"}}, "body.incoming.format"},
		{"unknown event", map[string]any{"incoming": map[string]any{"url": "https://crm.example/", "events": []string{"ring"}}}, "body.incoming.events[0]"},
		{"unknown user", map[string]any{"incoming": map[string]any{"url": "https://crm.example/", "users": []string{"w0", "w7"}}}, "body.incoming.users[1]"},
		{"unknown group", map[string]any{"incoming": map[string]any{"url": "https://crm.example/", "groups": []string{"g3"}}}, "body.incoming.groups[0]"},
		{"override of no user", map[string]any{"overrides": []any{map[string]any{"userId": "w5", "incoming": map[string]any{"url": "https://crm.example/"}}}}, "body.overrides[0].userId"},
		{"override without URLs", map[string]any{"overrides": []any{map[string]any{"userId": "w0"}}}, "body.overrides[0]"},
		{"two overrides of a user", map[string]any{"overrides": []any{
			map[string]any{"userId": "w0", "incoming": map[string]any{"url": "https://crm.example/1"}},
			map[string]any{"userId": "w0", "incoming": map[string]any{"url": "https://crm.example/2"}}}}, "body.overrides[1].userId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, http.MethodPut, "/v1/webhooks", tc.body, a.Token)
			if r.Status != http.StatusUnprocessableEntity || !slices.Contains(r.Locations(), tc.field) {
				t.Fatalf("%d %s, want 422 at %s", r.Status, r.Raw, tc.field)
			}
		})
	}
	if r := s.Do(t, http.MethodGet, "/v1/webhooks", nil, a.Token); r.Body["incoming"] != nil || r.Body["secret"].(map[string]any)["set"] != false {
		t.Fatalf("refused settings were written: %s", r.Raw)
	}
}

// TestWebhookURLsOnAWS: the strict policy of the AWS shape takes https to
// public addresses only. Nothing is sent: settings are only checked.
func TestWebhookURLsOnAWS(t *testing.T) {
	s := apitest.Start(t, accounts.Register)
	a := s.SignUp(t, "Acme", "ada@acme.example")
	for url, ok := range map[string]bool{
		"https://93.184.216.34/hook":          true,
		"http://93.184.216.34/hook":           false,
		"https://127.0.0.1/hook":              false,
		"https://10.0.0.1/hook":               false,
		"https://172.16.0.1/hook":             false,
		"https://192.168.1.1/hook":            false,
		"https://169.254.169.254/latest":      false,
		"https://[::1]/hook":                  false,
		"https://[::ffff:10.0.0.1]/hook":      false,
		"https://[fd00:ec2::254]/hook":        false,
		"https://[2a00:1450:4001::200e]/x":    true,
		"https://0.0.0.0/hook":                false,
		"https://100.64.1.1/carrier-grade":    false,
		"https://[fe80::1%25eth0]/link-local": false,
	} {
		r := s.Do(t, http.MethodPut, "/v1/webhooks", map[string]any{"incoming": map[string]any{"url": url}}, a.Token)
		if got := r.Status == 200; got != ok {
			t.Errorf("%s: %d %s", url, r.Status, r.Raw)
		}
		if !ok && !slices.Contains(r.Locations(), "body.incoming.url") {
			t.Errorf("%s: problem does not name the URL: %s", url, r.Raw)
		}
	}
}

// TestWebhooksAdminsOnly: a user who is not an admin reads and changes
// nothing.
func TestWebhooksAdminsOnly(t *testing.T) {
	s := apitest.Start(t, local, users.Register)
	a := s.SignUp(t, "Acme", "ada@acme.example")
	member := userToken(t, s, a)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/v1/webhooks"}, {http.MethodPut, "/v1/webhooks"}, {http.MethodPost, "/v1/webhooks/secret/rotate"},
		{http.MethodPost, "/v1/webhooks/test"}, {http.MethodGet, "/v1/webhooks/deliveries"},
		{http.MethodPost, "/v1/webhooks/deliveries/dl0000000000000000aaaaaaaa/resend"},
	} {
		var body any
		if c.method == http.MethodPut {
			body = map[string]any{}
		}
		if r := s.Do(t, c.method, c.path, body, member); r.Status != http.StatusForbidden {
			t.Errorf("%s %s as a user: %d %s", c.method, c.path, r.Status, r.Raw)
		}
	}
}

// userToken makes a user who is not an admin and returns a session of
// theirs, through the welcome e-mail's link.
func userToken(t *testing.T, s *apitest.Server, a apitest.Account) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/v1/users", map[string]any{"name": "Bob", "email": "bob@acme.example"}, a.Token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Raw)
	}
	files, _ := filepath.Glob(filepath.Join(s.Outbox, "*.eml"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		m, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if to, _ := netmail.ParseAddress(m.Header.Get("To")); to == nil || to.Address != "bob@acme.example" {
			continue
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
		_, rest, _ := strings.Cut(string(body), "/#/setup?token=")
		token, _, _ := strings.Cut(rest, "\n")
		r = s.Do(t, http.MethodPost, "/v1/sessions/setup", map[string]any{"token": strings.TrimSpace(token), "password": "correct horse battery"}, "")
		if r.Status != http.StatusCreated {
			t.Fatalf("set password: %d %s", r.Status, r.Raw)
		}
		return r.Body["token"].(string)
	}
	t.Fatal("no welcome e-mail to bob@acme.example")
	return ""
}
