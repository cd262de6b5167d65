package webhook

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/phone"
	"github.com/switchboard/switchboard/shared/store"
)

// target is one URL an event goes to, and the body format it takes.
type target struct {
	URL    string
	Format string
}

// Skipped reports whether an event triggers no webhook at all: calls to
// emergency numbers (110, 112, also with a country code), calls within an
// account (the compatible format knows only in and out), and events
// without a call.
func Skipped(ev events.Event) bool {
	c := ev.Call
	if c == nil || (c.Direction != "in" && c.Direction != "out") {
		return true
	}
	return emergency(c.To)
}

// emergency reports whether a dialled number is 110 or 112, as dialled or
// behind a country code (+49112).
func emergency(to string) bool {
	d := phone.Digits(strings.TrimSpace(to))
	if phone.Emergency(d) {
		return true
	}
	return len(d) <= 6 && (strings.HasSuffix(d, "110") || strings.HasSuffix(d, "112"))
}

// Queued reports whether an event goes through the durable queue: answer
// and hangup. newCall is posted by the fleet itself (its answer steers the
// call), dtmf to the URL of the Gather that collected it.
func Queued(ev events.Event) bool {
	return (ev.Type == events.Answer || ev.Type == events.Hangup) && !Skipped(ev)
}

// digits writes a number as the bodies carry it: E.164 digits without
// '+', or "anonymous".
func digits(n string) string {
	n = strings.TrimSpace(n)
	if strings.EqualFold(n, "anonymous") || n == "" {
		return "anonymous"
	}
	return strings.TrimPrefix(n, "+")
}

// causes maps the fleet's causes of a call's end to the compatible
// format's seven.
var causes = map[string]string{
	"normalClearing": CauseNormalClearing, "callerHangup": CauseNormalClearing, "calleeHangup": CauseNormalClearing,
	"hungUp": CauseNormalClearing,
	"cancel": CauseCancel, "cancelled": CauseCancel,
	"busy": CauseBusy, "declined": CauseBusy,
	"noAnswer": CauseNoAnswer, "unavailable": CauseNoAnswer,
	"notFound":   CauseNotFound,
	"forwarded":  CauseForwarded,
	"congestion": CauseCongestion, "mediaTimeout": CauseCongestion, "noAck": CauseCongestion,
	"shutdown": CauseCongestion, "failed": CauseCongestion,
}

// Cause maps a fleet cause to the compatible format; an unknown one is
// congestion (the call ended for a reason the caller did not choose).
func Cause(c string) string {
	if v, ok := causes[c]; ok {
		return v
	}
	return CauseCongestion
}

// hookFor returns the account URL for a direction.
func hookFor(v account.WebhookView, direction string) *account.Hook {
	if direction == "in" {
		return v.Incoming
	}
	return v.Outgoing
}

func overrideFor(o account.Override, direction string) *account.UserHook {
	if direction == "in" {
		return o.Incoming
	}
	return o.Outgoing
}

// shortIDs turns the full user ids of a call into the account's short ids.
func shortIDs(accountID string, full []string) []string {
	out := make([]string, 0, len(full))
	for _, f := range full {
		out = append(out, strings.TrimPrefix(f, accountID))
	}
	return out
}

// reaches says whether a limited account URL applies to user u.
func reaches(h *account.Hook, u string, dir account.Directory) bool {
	if len(h.Users) == 0 && len(h.Groups) == 0 || slices.Contains(h.Users, u) {
		return true
	}
	for _, g := range h.Groups {
		if slices.Contains(dir.Groups[g], u) {
			return true
		}
	}
	return false
}

// targets chooses the URLs of an event: per user the call reaches, the
// user's override for the direction or else the account's URL (when its
// limits include the user); the account's unlimited URL when the call
// reaches no user; and the call's own onAnswer/onHangup URLs. Each URL
// gets the event once.
func targets(v account.WebhookView, dir account.Directory, ev events.Event, sub *callSub) []target {
	var out []target
	add := func(url, format string) {
		t := target{URL: url, Format: format}
		if t.Format == "" {
			t.Format = FormatForm
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	event := string(ev.Type)
	hook := hookFor(v, ev.Call.Direction)
	users := shortIDs(v.Account, ev.Call.Users)
	if hook != nil && slices.Contains(hook.Events, event) && len(users) == 0 && len(hook.Users) == 0 && len(hook.Groups) == 0 {
		add(hook.URL, hook.Format)
	}
	for _, u := range users {
		if o, ok := v.Overrides[u]; ok {
			if uh := overrideFor(o, ev.Call.Direction); uh != nil {
				if slices.Contains(uh.Events, event) {
					add(uh.URL, uh.Format)
				}
				continue
			}
		}
		if hook != nil && slices.Contains(hook.Events, event) && reaches(hook, u, dir) {
			add(hook.URL, hook.Format)
		}
	}
	if sub != nil {
		switch {
		case ev.Type == events.Answer && sub.OnAnswer != "":
			add(sub.OnAnswer, sub.Format)
		case ev.Type == events.Hangup && sub.OnHangup != "":
			add(sub.OnHangup, sub.Format)
		}
	}
	return out
}

// candidates reports whether the view could send an event anywhere, so
// that accounts without webhooks cost one read per event.
func candidates(v account.WebhookView, ev events.Event, sub *callSub) bool {
	return hookFor(v, ev.Call.Direction) != nil || len(v.Overrides) > 0 ||
		sub != nil && (sub.OnAnswer != "" || sub.OnHangup != "")
}

// message builds the body's content of an event.
func message(ev events.Event, dir account.Directory, sub *callSub) Message {
	c := ev.Call
	m := Message{Event: string(ev.Type), EventID: ev.ID, CallID: c.ID, OrigCallID: c.ID, XCID: c.ID,
		Direction: c.Direction, From: digits(c.From), To: digits(c.To), DTMF: c.Digits}
	if c.OrigID != "" {
		m.OrigCallID, m.XCID = c.OrigID, c.OrigID
	}
	if c.Diversion != "" {
		m.Diversion = digits(c.Diversion)
	}
	user := func(short string) User {
		return User{Name: dir.Users[short], ID: short, FullID: ev.Account + short}
	}
	switch ev.Type {
	case events.NewCall:
		for _, u := range shortIDs(ev.Account, c.Users) {
			m.Users = append(m.Users, user(u))
		}
	case events.Answer:
		if owner, ok := dir.Devices[c.Answered]; ok {
			m.Users = []User{user(owner)}
		} else if len(c.Users) == 1 {
			m.Users = []User{user(strings.TrimPrefix(c.Users[0], ev.Account))}
		}
		m.AnsweringNumber = answering(c)
	case events.Hangup:
		m.Cause = Cause(c.Cause)
		m.AnsweringNumber = answering(c)
		if sub != nil && sub.Answered > 0 && c.Answered != "" {
			m.AnswerTime = time.UnixMilli(sub.Answered).UTC()
			if d := ev.Time.Sub(m.AnswerTime); d > 0 {
				m.Duration = int(d.Round(time.Second) / time.Second)
			}
		}
	}
	return m
}

// answering is the number that answered: an external phone's own number,
// else the number the call went to; empty while nobody answered.
func answering(c *events.Call) string {
	switch {
	case c.Answered == "":
		return ""
	case strings.HasPrefix(c.Answered, "+"):
		return digits(c.Answered)
	}
	return digits(c.To)
}

// The per-call item: the onAnswer/onHangup URLs of a steering response and
// when the call was answered, kept for a day or two after the call.
const (
	callPrefix    = "WHCALL#"
	typeCall      = "webhookcall"
	callRetention = 48 * time.Hour
)

type callSub struct {
	OnAnswer string `dynamodbav:"onAnswer,omitempty"`
	OnHangup string `dynamodbav:"onHangup,omitempty"`
	Format   string `dynamodbav:"format,omitempty"`
	Answered int64  `dynamodbav:"answered,omitempty"` // Unix milliseconds
}

func callKey(accountID, callID string) store.Key {
	return store.Key{PK: model.AccountPK(accountID), SK: callPrefix + callID}
}

// callOf reads a call's item; nil when there is none.
func (d *Deliverer) callOf(ctx context.Context, ev events.Event) (*callSub, error) {
	it, err := d.st.Get(ctx, callKey(ev.Account, ev.Call.ID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s callSub
	return &s, store.Unmarshal(it, &s)
}

// noteCall sets attributes of a call's item, creating it.
func (d *Deliverer) noteCall(ctx context.Context, ev events.Event, set map[string]string, answered int64) error {
	op := store.Update(callKey(ev.Account, ev.Call.ID)).
		SetAttr(model.AttrType, store.S(typeCall)).
		SetAttr(store.AttrTTL, store.N(d.now().Add(callRetention).Unix()))
	for k, v := range set {
		if v != "" {
			op = op.SetAttr(k, store.S(v))
		}
	}
	if answered > 0 {
		op = op.SetAttr("answered", store.N(answered))
	}
	return d.st.Write(ctx, op)
}

// Observe records what later events of a call need from an earlier one:
// the answer time, for hangup's answerTime and duration. The local stack
// calls it in event order as events arrive; the queue consumer on AWS for
// each batch before delivering it.
func (d *Deliverer) Observe(ctx context.Context, ev events.Event) error {
	if ev.Type != events.Answer || Skipped(ev) {
		return nil
	}
	return d.noteCall(ctx, ev, nil, ev.Time.UnixMilli())
}
