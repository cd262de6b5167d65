package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Content-Types of the compatible format's bodies and of JSON bodies.
const (
	formType = "application/x-www-form-urlencoded; charset=UTF-8"
	jsonType = "application/json; charset=UTF-8"
)

// hook is one request the consumer received.
type hook struct {
	Path    string
	Header  http.Header
	Body    []byte
	Form    url.Values
	JSON    map[string]any // the body, when it is JSON
	Recv    time.Time
	Status  int // what the consumer answered
	EventID string
}

func (h hook) event() string { return h.get("event") }

// get returns a string field of the body, form or JSON.
func (h hook) get(name string) string {
	if h.JSON != nil {
		s, _ := h.JSON[name].(string)
		return s
	}
	return h.Form.Get(name)
}

func (h hook) String() string {
	return fmt.Sprintf("%s %s -> %d (event id %s)", h.Path, h.Body, h.Status, h.EventID)
}

// reply is how the consumer answers a request.
type reply struct {
	Status int // 0: 200
	Type   string
	Body   string
	Delay  time.Duration // before answering; cut short when the sender gives up
}

// receiver is the integration's server: a Go HTTP server on loopback
// that keeps every request it gets, answers as the test says, and serves
// files (the WAV a Play fetches).
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []hook
	answer  func(h hook) reply // nil: 200 with an empty body
	files   map[string][]byte
	changed chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{files: map[string][]byte{}, changed: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL returns the receiver's URL of path.
func (r *receiver) URL(path string) string { return r.srv.URL + path }

// respond sets how the receiver answers from now on.
func (r *receiver) respond(f func(h hook) reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

// serveFile makes the receiver serve content at path (GET).
func (r *receiver) serveFile(path string, content []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = content
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	recv := time.Now()
	if req.Method == http.MethodGet {
		r.mu.Lock()
		f, ok := r.files[req.URL.Path]
		r.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(f)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h := hook{Path: req.URL.Path, Header: req.Header.Clone(), Body: body, Recv: recv, EventID: req.Header.Get("X-Switchboard-Event-Id")}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &h.JSON)
	} else {
		h.Form, _ = url.ParseQuery(string(body))
	}
	r.mu.Lock()
	answer := r.answer
	r.mu.Unlock()
	rep := reply{}
	if answer != nil {
		rep = answer(h)
	}
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	h.Status = rep.Status
	r.mu.Lock()
	r.got = append(r.got, h)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-req.Context().Done():
			return
		}
	}
	if rep.Type != "" {
		w.Header().Set("Content-Type", rep.Type)
	}
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}

// all returns the requests so far that match.
func (r *receiver) all(match func(h hook) bool) []hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hook
	for _, h := range r.got {
		if match(h) {
			out = append(out, h)
		}
	}
	return out
}

// wait waits until n requests match, at most d, and returns those there
// are.
func (r *receiver) wait(n int, d time.Duration, match func(h hook) bool) []hook {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if got := r.all(match); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			return r.all(match)
		}
	}
}

// one waits for the first request that matches; it fails the test when
// none comes within d.
func (r *receiver) one(t testing.TB, d time.Duration, what string, match func(h hook) bool) hook {
	t.Helper()
	got := r.wait(1, d, match)
	if len(got) == 0 {
		t.Fatalf("no %s webhook within %s; the receiver got:\n%s", what, d, r.dump())
	}
	return got[0]
}

// dump lists what the receiver got, for failure messages.
func (r *receiver) dump() string {
	var b strings.Builder
	for _, h := range r.all(func(hook) bool { return true }) {
		fmt.Fprintf(&b, "  %s\n", h)
	}
	return b.String()
}

// Matchers of requests.
func event(name string) func(h hook) bool {
	return func(h hook) bool { return h.event() == name }
}

func and(ms ...func(h hook) bool) func(h hook) bool {
	return func(h hook) bool {
		for _, m := range ms {
			if !m(h) {
				return false
			}
		}
		return true
	}
}

func field(name, value string) func(h hook) bool {
	return func(h hook) bool { return h.get(name) == value }
}

func path(p string) func(h hook) bool {
	return func(h hook) bool { return h.Path == p }
}

// checkSigned checks what every request carries: the compatible format's
// Content-Type (or JSON's, for a body in JSON), and a signature made with
// the secret the API showed over the timestamp, a dot and the raw body,
// with a timestamp of the moment it was sent.
func checkSigned(t testing.TB, h hook, secret string) {
	t.Helper()
	ctype := formType
	if h.JSON != nil {
		ctype = jsonType
	}
	if ct := h.Header.Get("Content-Type"); ct != ctype {
		t.Errorf("%s: Content-Type %q, want %q", h.event(), ct, ctype)
	}
	ts := h.Header.Get("X-Switchboard-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Errorf("%s: X-Switchboard-Timestamp %q is not Unix seconds", h.event(), ts)
		return
	}
	if d := h.Recv.Sub(time.Unix(sec, 0)); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("%s: X-Switchboard-Timestamp %s is %s off the time it arrived", h.event(), ts, d)
	}
	if !signedWith(h, secret) {
		t.Errorf("%s: X-Switchboard-Signature %q does not verify with the account's secret", h.event(), h.Header.Get("X-Switchboard-Signature"))
	}
	if h.EventID == "" {
		t.Errorf("%s: no X-Switchboard-Event-Id", h.event())
	}
}

// signedWith reports whether a request's signature verifies with secret.
func signedWith(h hook, secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(h.Header.Get("X-Switchboard-Timestamp") + "."))
	mac.Write(h.Body)
	return hmac.Equal([]byte(h.Header.Get("X-Switchboard-Signature")), []byte(hex.EncodeToString(mac.Sum(nil))))
}

// checkFields checks that a form body has exactly the fields of want,
// each with the values of want in any order; a value "*" admits any one
// value, which check then tests.
func checkFields(t testing.TB, h hook, want url.Values, check map[string]func(string) error) {
	t.Helper()
	names := func(v url.Values) []string {
		out := make([]string, 0, len(v))
		for k := range v {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got, w := names(h.Form), names(want); !slices.Equal(got, w) {
		t.Errorf("%s: fields %v, want %v\n  body %s", h.event(), got, w, h.Body)
	}
	for k, wv := range want {
		gv := slices.Clone(h.Form[k])
		if len(wv) == 1 && wv[0] == "*" {
			if len(gv) != 1 {
				t.Errorf("%s: %s=%q, want one value", h.event(), k, gv)
				continue
			}
			if f := check[k]; f != nil {
				if err := f(gv[0]); err != nil {
					t.Errorf("%s: %s=%q: %v", h.event(), k, gv[0], err)
				}
			}
			continue
		}
		wv = slices.Clone(wv)
		sort.Strings(gv)
		sort.Strings(wv)
		if !slices.Equal(gv, wv) {
			t.Errorf("%s: %s=%q, want %q\n  body %s", h.event(), k, gv, wv, h.Body)
		}
	}
}

// checkJSON checks that a JSON body has exactly the fields of want, each
// with its value and JSON type: strings, numbers, and lists of strings in
// any order; "*" admits any string, anyNumber any number.
func checkJSON(t testing.TB, h hook, want map[string]any) {
	t.Helper()
	if h.JSON == nil {
		t.Errorf("not a JSON body: %s", h.Body)
		return
	}
	var got, w []string
	for k := range h.JSON {
		got = append(got, k)
	}
	for k := range want {
		w = append(w, k)
	}
	sort.Strings(got)
	sort.Strings(w)
	if !slices.Equal(got, w) {
		t.Errorf("%s: fields %v, want %v\n  body %s", h.event(), got, w, h.Body)
	}
	for k, wv := range want {
		gv, ok := h.JSON[k]
		if !ok {
			continue
		}
		switch wv := wv.(type) {
		case string:
			if s, ok := gv.(string); !ok || wv != "*" && s != wv {
				t.Errorf("%s: %s=%#v, want %q", h.event(), k, gv, wv)
			}
		case number:
			if _, ok := gv.(float64); !ok {
				t.Errorf("%s: %s=%#v, want a number", h.event(), k, gv)
			}
		case []string:
			list, ok := gv.([]any)
			var ss []string
			for _, e := range list {
				if s, isStr := e.(string); isStr {
					ss = append(ss, s)
				}
			}
			wv = slices.Clone(wv)
			sort.Strings(ss)
			sort.Strings(wv)
			if !ok || len(ss) != len(list) || !slices.Equal(ss, wv) {
				t.Errorf("%s: %s=%#v, want the list %q", h.event(), k, gv, wv)
			}
		}
	}
}

// number stands for any JSON number in checkJSON.
type number struct{}

var anyNumber = number{}
