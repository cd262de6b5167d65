package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Config configures delivery.
type Config struct {
	// Timeout bounds one request (0: DefaultTimeout). A slow consumer
	// never holds a call, or the queue, longer.
	Timeout time.Duration
	// URLs is the policy every request's URL is held to at send time:
	// https only and public addresses only on AWS (account.StrictURLs).
	URLs account.URLPolicy
	// Now is the clock of signatures and the log; nil means time.Now.
	Now func() time.Time
}

// Deliverer sends call events to an account's URLs and logs each attempt.
type Deliverer struct {
	cfg    Config
	st     store.Store
	seal   account.Sealer
	client *Client
	log    *slog.Logger
	lastID atomic.Int64   // of the delivery log's ids
	quiet  sync.WaitGroup // newCall requests no call waits for
}

// Wait waits for the newCall requests that run on their own (those to
// URLs whose answer steers nothing), each bounded by the timeout.
func (d *Deliverer) Wait() { d.quiet.Wait() }

// New returns a deliverer on the table; seal opens the accounts' signing
// secrets.
func New(cfg Config, st store.Store, seal account.Sealer, logger *slog.Logger) (*Deliverer, error) {
	if st == nil || seal == nil {
		return nil, errors.New("webhook: store and sealer are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Deliverer{cfg: cfg, st: st, seal: newSecretCache(seal), client: NewClient(cfg.Timeout, cfg.URLs), log: logger}, nil
}

func (d *Deliverer) now() time.Time { return d.cfg.Now().UTC() }

// plan is what sending one event needs.
type plan struct {
	view    account.WebhookView
	targets []target
	msg     Message
}

// plan reads the account's settings and chooses the event's URLs; an
// event with nowhere to go gives no targets.
func (d *Deliverer) plan(ctx context.Context, ev events.Event) (plan, error) {
	var p plan
	if Skipped(ev) {
		return p, nil
	}
	view, err := account.LoadWebhooks(ctx, d.st, d.seal, ev.Account)
	if err != nil {
		return p, err
	}
	var sub *callSub
	if ev.Type != events.NewCall {
		if sub, err = d.callOf(ctx, ev); err != nil {
			return p, err
		}
	}
	if !candidates(view, ev, sub) {
		return p, nil
	}
	dir, err := account.LoadDirectory(ctx, d.st, ev.Account)
	if err != nil {
		return p, err
	}
	return plan{view: view, targets: targets(view, dir, ev, sub), msg: message(ev, dir, sub)}, nil
}

// attempt is one request to send and log.
type attempt struct {
	account  string
	secret   []byte
	target   target
	event    string
	eventID  string
	callID   string
	body     []byte
	ctype    string
	number   int
	resendOf string
}

// send posts one request and writes it to the log. A log that cannot be
// written is reported but does not fail the delivery.
func (d *Deliverer) send(ctx context.Context, a attempt) (Delivery, Result) {
	now := d.now()
	res := d.client.Post(ctx, a.target.URL, Request{Body: a.body, ContentType: a.ctype, EventID: a.eventID, Secret: a.secret, Time: now})
	e := Delivery{ID: d.newID(now), Time: now, EventID: a.eventID, Event: a.event, CallID: a.callID, URL: a.target.URL,
		Format: a.target.Format, Attempt: a.number, Status: res.Status, LatencyMS: res.Latency.Milliseconds(),
		OK: res.OK(), Error: res.Error(), Request: string(a.body), ResendOf: a.resendOf}
	if err := d.record(context.WithoutCancel(ctx), a.account, a.ctype, e); err != nil {
		d.log.Warn("webhook delivery not logged", "account", a.account, "event", a.eventID, "err", err)
	}
	return e, res
}

// fanOut sends one request per target in parallel and returns the
// results in target order.
func (d *Deliverer) fanOut(ctx context.Context, as []attempt) ([]Delivery, []Result) {
	es, rs := make([]Delivery, len(as)), make([]Result, len(as))
	var wg sync.WaitGroup
	for i, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			es[i], rs[i] = d.send(ctx, a)
		}()
	}
	wg.Wait()
	return es, rs
}

func (p plan) attempts(ev events.Event, number int) []attempt {
	out := make([]attempt, 0, len(p.targets))
	for _, t := range p.targets {
		body, ctype := p.msg.Body(t.Format)
		out = append(out, attempt{account: ev.Account, secret: p.view.Secret, target: t, event: p.msg.Event,
			eventID: ev.ID, callID: ev.Call.ID, body: body, ctype: ctype, number: number})
	}
	return out
}

// Deliver sends a queued event (answer, hangup) to every URL that has not
// taken it yet; number counts the attempts from 1. It returns an error when any URL
// failed, and the queue tries again later: each URL gets the event at
// least once, and a URL that took it is not sent it again (but for a
// crash between its answer and the note of it).
func (d *Deliverer) Deliver(ctx context.Context, ev events.Event, number int) error {
	p, err := d.plan(ctx, ev)
	if err != nil {
		return fmt.Errorf("plan event %s: %w", ev.ID, err)
	}
	var pending []attempt
	for _, a := range p.attempts(ev, number) {
		done, err := d.delivered(ctx, ev, a.target)
		if err != nil {
			return err
		}
		if !done {
			pending = append(pending, a)
		}
	}
	_, results := d.fanOut(ctx, pending)
	var errs []error
	for i, r := range results {
		if !r.OK() {
			errs = append(errs, fmt.Errorf("%s: %s", pending[i].target.URL, r.Error()))
			continue
		}
		if err := d.markDelivered(ctx, ev, pending[i].target); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Done markers: one item per event and URL that took it.
const (
	donePrefix    = "WHDONE#"
	typeDone      = "webhookdone"
	doneRetention = 4 * 24 * time.Hour // longer than any retry
)

func doneKey(ev events.Event, t target) store.Key {
	sum := sha256.Sum256([]byte(t.Format + " " + t.URL))
	return store.Key{PK: model.AccountPK(ev.Account), SK: donePrefix + ev.ID + "#" + hex.EncodeToString(sum[:8])}
}

func (d *Deliverer) delivered(ctx context.Context, ev events.Event, t target) (bool, error) {
	_, err := d.st.Get(ctx, doneKey(ev, t))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (d *Deliverer) markDelivered(ctx context.Context, ev events.Event, t target) error {
	k := doneKey(ev, t)
	return d.st.Write(ctx, store.Put(store.Item{store.AttrPK: store.S(k.PK), store.AttrSK: store.S(k.SK),
		model.AttrType: store.S(typeDone), store.AttrTTL: store.N(d.now().Add(doneRetention).Unix())}))
}

// NewCall posts a newCall event to the account's URLs and returns the
// steering response of the first one (a reached user's own URL before the
// account-wide one, see targets), or nil when there is none or it is not a
// valid response: the call then proceeds as routed. It returns within the
// configured timeout whatever the consumers do, and does not wait for the
// other URLs. The response's onAnswer and onHangup URLs are noted for the
// call's later events.
func (d *Deliverer) NewCall(ctx context.Context, ev events.Event) (*Response, error) {
	if ev.Type != events.NewCall {
		return nil, fmt.Errorf("webhook: NewCall with a %s event", ev.Type)
	}
	p, err := d.plan(ctx, ev)
	if err != nil || len(p.targets) == 0 {
		return nil, err
	}
	// Only the first URL's answer steers the call: the others are told
	// of it without the call waiting for them.
	as := p.attempts(ev, 1)
	if len(as) > 1 {
		d.quiet.Go(func() { d.fanOut(context.WithoutCancel(ctx), as[1:]) })
	}
	_, result := d.send(ctx, as[0])
	resp, err := steering(result)
	if err != nil || resp == nil {
		return nil, err
	}
	if resp.OnAnswer != "" || resp.OnHangup != "" {
		set := map[string]string{"onAnswer": resp.OnAnswer, "onHangup": resp.OnHangup, "format": p.targets[0].Format}
		if err := d.noteCall(ctx, ev, set, 0); err != nil {
			return resp, fmt.Errorf("note the call's URLs: %w", err)
		}
	}
	return resp, nil
}

// steering parses the answer of a steering request: XML when the consumer
// says so or the body starts like XML; nothing otherwise.
func steering(r Result) (*Response, error) {
	if !r.OK() || len(bytes.TrimSpace(r.Body)) == 0 {
		return nil, nil
	}
	xmlBody := strings.Contains(r.ContentType, "xml") || bytes.HasPrefix(bytes.TrimSpace(r.Body), []byte("<"))
	if !xmlBody {
		return nil, nil
	}
	return ParseResponse(r.Body)
}

// Gathered posts the digits a Gather collected (possibly none) to its
// onData URL, in the format of the URL whose response started the call's
// steering, and returns the response that steers on.
func (d *Deliverer) Gathered(ctx context.Context, ev events.Event, onData string) (*Response, error) {
	if Skipped(ev) {
		return nil, nil
	}
	view, err := account.LoadWebhooks(ctx, d.st, d.seal, ev.Account)
	if err != nil {
		return nil, err
	}
	sub, err := d.callOf(ctx, ev)
	if err != nil {
		return nil, err
	}
	t := target{URL: onData, Format: FormatForm}
	if sub != nil && sub.Format != "" {
		t.Format = sub.Format
	}
	m := Message{Event: EventDTMF, EventID: ev.ID, CallID: ev.Call.ID, DTMF: ev.Call.Digits}
	body, ctype := m.Body(t.Format)
	_, res := d.send(ctx, attempt{account: ev.Account, secret: view.Secret, target: t, event: EventDTMF, eventID: ev.ID,
		callID: ev.Call.ID, body: body, ctype: ctype, number: 1})
	return steering(res)
}

// Test sends a test event to every URL of the caller's account (admins
// only) and returns the logged attempts.
func (d *Deliverer) Test(ctx context.Context, p auth.Principal) ([]Delivery, error) {
	if !p.Admin() {
		return nil, &account.Error{Kind: account.Forbidden, Message: "only admins test the webhooks"}
	}
	view, err := account.LoadWebhooks(ctx, d.st, d.seal, p.Account)
	if err != nil {
		return nil, err
	}
	var ts []target
	add := func(url, format string) {
		if t := (target{URL: url, Format: format}); !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	for _, h := range []*account.Hook{view.Incoming, view.Outgoing} {
		if h != nil {
			add(h.URL, h.Format)
		}
	}
	users := slices.Sorted(maps.Keys(view.Overrides))
	for _, u := range users {
		o := view.Overrides[u]
		for _, h := range []*account.UserHook{o.Incoming, o.Outgoing} {
			if h != nil {
				add(h.URL, h.Format)
			}
		}
	}
	if len(ts) == 0 {
		return nil, &account.Error{Kind: account.Invalid, Message: "no webhook URL is set"}
	}
	eventID := "test-" + auth.Random(10)
	as := make([]attempt, 0, len(ts))
	for _, t := range ts {
		body, ctype := Message{Event: EventTest, EventID: eventID}.Body(t.Format)
		as = append(as, attempt{account: p.Account, secret: view.Secret, target: t, event: EventTest, eventID: eventID, body: body, ctype: ctype, number: 1})
	}
	es, _ := d.fanOut(ctx, as)
	return es, nil
}

// Resend sends a logged request again, with a fresh signature and the
// same event id, and returns the new attempt (admins only).
func (d *Deliverer) Resend(ctx context.Context, p auth.Principal, id string) (Delivery, error) {
	if !p.Admin() {
		return Delivery{}, &account.Error{Kind: account.Forbidden, Message: "only admins resend webhook deliveries"}
	}
	l, err := d.entry(ctx, p, id)
	if err != nil {
		return Delivery{}, err
	}
	view, err := account.LoadWebhooks(ctx, d.st, d.seal, p.Account)
	if err != nil {
		return Delivery{}, err
	}
	e, _ := d.send(ctx, attempt{account: p.Account, secret: view.Secret, target: target{URL: l.URL, Format: l.Format},
		event: l.Event, eventID: l.EventID, callID: l.CallID, body: []byte(l.Request), ctype: l.ContentType,
		number: l.Attempt + 1, resendOf: l.ID})
	return e, nil
}

// secretCache keeps opened signing secrets by their sealed form, so a
// busy account costs one KMS call per secret, not one per event. A
// rotated secret has another sealed form and is opened afresh.
type secretCache struct {
	account.Sealer
	mu     sync.Mutex
	opened map[string][]byte
}

const maxCachedSecrets = 1024

func newSecretCache(s account.Sealer) *secretCache {
	return &secretCache{Sealer: s, opened: map[string][]byte{}}
}

func (c *secretCache) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	k := string(aad) + "\x00" + string(sealed)
	c.mu.Lock()
	v, ok := c.opened[k]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := c.Sealer.Open(ctx, sealed, aad)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.opened) >= maxCachedSecrets {
		clear(c.opened)
	}
	c.opened[k] = v
	c.mu.Unlock()
	return v, nil
}
