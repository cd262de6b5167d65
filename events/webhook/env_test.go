package webhook

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// clock is a test clock: tests move it instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an account on the embedded store with a deliverer and a queue
// on a test clock.
type env struct {
	t       testing.TB
	ctx     context.Context
	db      *embedded.DB
	svc     *account.Service
	clock   *clock
	d       *Deliverer
	q       *Queue
	admin   auth.Principal
	account string
	secret  string // the signing secret, once settings made it
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(dir, "t.db"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	kf, err := secret.OpenKeyFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(account.Config{Realm: "switchboard.test"}, db, secret.Envelope{KEK: kf}, mail.Folder{Dir: filepath.Join(dir, "outbox")}, logger)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), db: db, svc: svc, clock: &clock{t: time.Now().UTC()}}
	cfg.Now = e.clock.Now
	if e.d, err = New(cfg, db, svc.Sealer(), logger); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.d.Wait) // before the store closes
	e.q = NewQueue(db, e.clock.Now, time.Minute)
	res, err := svc.Signup(e.ctx, account.SignupInput{Company: "Acme GmbH", Name: "Ada Admin", Email: "ada@acme.example", Password: "correct horse battery"}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if e.admin, err = svc.Authenticate(e.ctx, res.Session.Token); err != nil {
		t.Fatal(err)
	}
	e.account = res.Account.ID
	return e
}

// settings replaces the webhook settings (URLs on loopback: the local
// stack's policy).
func (e *env) settings(in account.WebhookSettings) {
	e.t.Helper()
	info, err := e.svc.SetWebhooks(e.ctx, e.admin, in, account.URLPolicy{})
	if err != nil {
		e.t.Fatal(err)
	}
	if info.SigningSecret != "" {
		e.secret = info.SigningSecret
	}
}

// event is a call event of the account's admin w0.
func (e *env) event(id string, typ events.Type, to string) events.Event {
	c := &events.Call{ID: "call-" + id, Direction: "in", From: "+4930123456", To: to, Users: []string{e.account + "w0"}}
	if typ == events.Answer || typ == events.Hangup {
		c.Answered = "+4915112345678"
	}
	if typ == events.Hangup {
		c.Cause = "calleeHangup"
	}
	return events.Event{ID: id, Type: typ, Account: e.account, Time: e.clock.Now(), Call: c}
}

// received is one request a consumer got.
type received struct {
	header http.Header
	body   []byte
	form   url.Values
}

// consumer is a loopback webhook consumer that records what it is sent
// and answers with status() and the body of answer().
type consumer struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status func(r received) int
	answer []byte
	ctype  string
}

func newConsumer(t *testing.T) *consumer {
	c := &consumer{status: func(received) int { return http.StatusOK }}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		rec := received{header: r.Header.Clone(), body: body, form: form}
		c.mu.Lock()
		c.got = append(c.got, rec)
		status, answer, ctype := c.status(rec), c.answer, c.ctype
		c.mu.Unlock()
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *consumer) requests() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.got...)
}

func (c *consumer) setStatus(f func(received) int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = f
}

// TestMain checks that no test leaves goroutines behind: workers, feeds
// and the client's connections end with their tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
