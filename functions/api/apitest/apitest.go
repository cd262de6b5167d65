// Package apitest runs HTTP functions on a real HTTP server with the
// embedded store, for the functions' tests: sign up, call operations, and
// read problem documents. It is imported only by tests.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// Server is a running API with its store.
type Server struct {
	URL      string
	Store    store.Store
	Accounts *account.Service
	Outbox   string // folder of sent e-mails
}

// Start serves the given functions on a loopback HTTP server backed by a
// fresh embedded store.
func Start(t testing.TB, fns ...api.Registrar) *Server {
	t.Helper()
	dir := t.TempDir()
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(dir, "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return StartOn(t, db, dir, fns...)
}

// StartOn serves the functions on st (for example the DynamoDB adapter).
func StartOn(t testing.TB, st store.Store, dir string, fns ...api.Registrar) *Server {
	t.Helper()
	kf, err := secret.OpenKeyFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	outbox := filepath.Join(dir, "outbox")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := account.New(account.Config{Realm: "switchboard.test", Proxy: "127.0.0.1:5060", STUN: "127.0.0.1:10000", ConsoleURL: "http://console.test"},
		st, secret.Envelope{KEK: kf}, mail.Folder{Dir: outbox}, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Mount(api.Deps{Store: st, Accounts: svc, Logger: logger}, fns...))
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Store: st, Accounts: svc, Outbox: outbox}
}

// Response is an answer with its body decoded as JSON.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Do sends a request with a JSON body (nil for none) and bearer token.
func (s *Server) Do(t testing.TB, method, path string, body any, token string) Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// Account is a signed-up account.
type Account struct {
	ID      string
	Token   string
	Numbers []string
}

// SignUp creates an account through the API.
func (s *Server) SignUp(t testing.TB, company, email string) Account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/v1/accounts", map[string]any{"company": company, "name": "Admin of " + company, "email": email, "password": "correct horse battery"}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("sign up: %d %s", r.Status, r.Raw)
	}
	a := Account{ID: r.Body["account"].(map[string]any)["id"].(string), Token: r.Body["session"].(map[string]any)["token"].(string)}
	for _, n := range r.Body["numbers"].([]any) {
		a.Numbers = append(a.Numbers, n.(map[string]any)["number"].(string))
	}
	return a
}

// Locations lists the locations named by a problem document's errors.
func (r Response) Locations() []string {
	var out []string
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			if loc, ok := m["location"].(string); ok {
				out = append(out, loc)
			}
		}
	}
	return out
}
