// Package apiclient is a small typed client of Switchboard's /v1 API for
// end-to-end tests and the load script: it speaks real HTTP to a running
// stack, signs accounts up, builds their fixtures through the API (only
// through operations the OpenAPI document lists), and reads the OpenAPI
// document so that tests can derive what to try from it.
//
// It is not a general SDK: it returns raw statuses and decoded JSON so a
// test can check exactly what the server said, and it never retries.
package apiclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client calls one stack.
type Client struct {
	Base string // e.g. http://127.0.0.1:8080
	HTTP *http.Client
}

// New returns a client of the stack at base (scheme, host and port). Its
// requests time out after 30 s so that no test or load run can hang.
func New(base string) *Client {
	return &Client{Base: strings.TrimSuffix(base, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// WithSource returns a client whose connections leave from the loopback
// address src (e.g. 127.0.0.7). The server limits sign-ups and logins per
// client address; a load run that plays many newcomers gives each group of
// them an address of its own, as real newcomers have.
func (c *Client) WithSource(src string) *Client {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}
	return &Client{Base: c.Base, HTTP: &http.Client{Timeout: c.HTTP.Timeout, Transport: tr}}
}

// Response is one answer.
type Response struct {
	Method, Path string
	Status       int
	Header       http.Header
	Raw          []byte
	JSON         any // the decoded body; nil when empty or not JSON
}

// Problem is an RFC 9457 problem document as the API writes it.
type Problem struct {
	Type   string        `json:"type"`
	Title  string        `json:"title"`
	Status int           `json:"status"`
	Detail string        `json:"detail"`
	Errors []ErrorDetail `json:"errors"`
}

// ErrorDetail names one offending part of a request.
type ErrorDetail struct {
	Message  string `json:"message"`
	Location string `json:"location"`
	Value    any    `json:"value"`
}

// Problem decodes the body as a problem document; ok is false when the
// answer is not one (wrong content type or undecodable).
func (r *Response) Problem() (p Problem, ok bool) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		return Problem{}, false
	}
	if err := json.Unmarshal(r.Raw, &p); err != nil {
		return Problem{}, false
	}
	return p, true
}

// Decode decodes the body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Raw, v); err != nil {
		return fmt.Errorf("%s %s: decode %d answer: %w (%s)", r.Method, r.Path, r.Status, err, Short(r.Raw))
	}
	return nil
}

// OK says whether the status is 2xx.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

func (r *Response) String() string {
	return fmt.Sprintf("%s %s -> %d %s", r.Method, r.Path, r.Status, Short(r.Raw))
}

// Short cuts a body for messages.
func Short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// Auth is the Authorization header value of a credential: a bearer string
// (session or personal access token) unless it already names a scheme.
func Auth(cred string) string {
	switch {
	case cred == "":
		return ""
	case strings.HasPrefix(cred, "Bearer ") || strings.HasPrefix(cred, "Basic ") || strings.HasPrefix(cred, "Raw "):
		return strings.TrimPrefix(cred, "Raw ")
	}
	return "Bearer " + cred
}

// Basic builds a Basic credential for Auth.
func Basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// RawBody is a request body sent as is (for malformed JSON); any other body
// is encoded as JSON.
type RawBody []byte

// Do sends one request. body is encoded as JSON unless it is nil or a
// RawBody; cred is a bearer string or an Auth-style header value.
func (c *Client) Do(ctx context.Context, method, path string, body any, cred string) (*Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case RawBody:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if a := Auth(cred); a != "" {
		req.Header.Set("Authorization", a)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	r := &Response{Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			r.JSON = v
		}
	}
	return r, nil
}

// Expect sends a request and wants one of the given statuses (any 2xx when
// none is given); other answers are errors that show the body.
func (c *Client) Expect(ctx context.Context, method, path string, body any, cred string, want ...int) (*Response, error) {
	r, err := c.Do(ctx, method, path, body, cred)
	if err != nil {
		return nil, err
	}
	if len(want) == 0 && r.OK() {
		return r, nil
	}
	for _, w := range want {
		if r.Status == w {
			return r, nil
		}
	}
	return r, &StatusError{Response: r}
}

// StatusError is an answer with an unexpected status.
type StatusError struct{ Response *Response }

func (e *StatusError) Error() string { return "unexpected answer: " + e.Response.String() }

// Account is a signed-up account as its admin sees it.
type Account struct {
	ID       string   // seven digits
	Company  string   //
	AdminID  string   // short id of the first admin, w0
	Email    string   //
	Password string   //
	Token    string   // the sign-up session
	Numbers  []string // the test numbers, E.164
}

// Password is the password SignUp gives every account's admin.
const Password = "correct-horse-battery"

// SignUp creates an account with its first admin.
func (c *Client) SignUp(ctx context.Context, company, email string) (Account, error) {
	body := map[string]any{"company": company, "name": company + " Admin", "email": email, "password": Password}
	r, err := c.Expect(ctx, http.MethodPost, "/v1/accounts", body, "", http.StatusCreated)
	if err != nil {
		return Account{}, fmt.Errorf("sign up %s: %w", email, err)
	}
	var out struct {
		Account struct {
			ID      string `json:"id"`
			Company string `json:"company"`
		} `json:"account"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Numbers []struct {
			Number string `json:"number"`
		} `json:"numbers"`
		Session struct {
			Token string `json:"token"`
		} `json:"session"`
	}
	if err := r.Decode(&out); err != nil {
		return Account{}, err
	}
	a := Account{ID: out.Account.ID, Company: out.Account.Company, AdminID: out.User.ID, Email: email, Password: Password, Token: out.Session.Token}
	for _, n := range out.Numbers {
		a.Numbers = append(a.Numbers, n.Number)
	}
	if a.ID == "" || a.Token == "" || len(a.Numbers) == 0 {
		return Account{}, fmt.Errorf("sign up %s: incomplete answer %s", email, Short(r.Raw))
	}
	return a, nil
}

// Login opens a session and returns its token.
func (c *Client) Login(ctx context.Context, email, password string) (string, error) {
	r, err := c.Expect(ctx, http.MethodPost, "/v1/sessions", map[string]string{"email": email, "password": password}, "", http.StatusCreated, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("log in %s: %w", email, err)
	}
	var s struct {
		Token string `json:"token"`
	}
	if err := r.Decode(&s); err != nil {
		return "", err
	}
	if s.Token == "" {
		return "", fmt.Errorf("log in %s: no token in %s", email, Short(r.Raw))
	}
	return s.Token, nil
}

// Token is a personal access token as created.
type Token struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// CreateToken creates a personal access token with cred.
func (c *Client) CreateToken(ctx context.Context, cred, name string) (Token, error) {
	r, err := c.Expect(ctx, http.MethodPost, "/v1/tokens", map[string]any{"name": name}, cred, http.StatusCreated, http.StatusOK)
	if err != nil {
		return Token{}, fmt.Errorf("create token: %w", err)
	}
	var t Token
	if err := r.Decode(&t); err != nil {
		return Token{}, err
	}
	return t, nil
}

// Items returns the "items" array of a list answer (nil when absent).
func Items(v any) []any {
	m, _ := v.(map[string]any)
	items, _ := m["items"].([]any)
	return items
}

// Str returns the string at key of a JSON object.
func Str(v any, key string) string {
	m, _ := v.(map[string]any)
	s, _ := m[key].(string)
	return s
}
