package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// The delivery log: one item per attempt in the account's partition,
// newest first by its sort key, kept for LogRetention.
const (
	LogRetention  = 30 * 24 * time.Hour
	logPrefix     = "WHLOG#"
	typeDelivery  = "webhookdelivery"
	maxLoggedBody = 16 << 10
	defaultPage   = 50
)

// Delivery is one attempt to deliver a request, as the log shows it.
type Delivery struct {
	ID        string    `json:"id" dynamodbav:"id" doc:"Delivery id, for resend"`
	Time      time.Time `json:"time" dynamodbav:"time"`
	EventID   string    `json:"eventId" dynamodbav:"eventId" doc:"The same on every attempt; consumers deduplicate by it"`
	Event     string    `json:"event" dynamodbav:"event" enum:"newCall,answer,hangup,dtmf,test"`
	CallID    string    `json:"callId,omitempty" dynamodbav:"callId,omitempty"`
	URL       string    `json:"url" dynamodbav:"url"`
	Format    string    `json:"format" dynamodbav:"format" enum:"form,json"`
	Attempt   int       `json:"attempt" dynamodbav:"attempt" doc:"1 for the first attempt"`
	Status    int       `json:"status,omitempty" dynamodbav:"status,omitempty" doc:"HTTP status of the answer; absent when none came"`
	LatencyMS int64     `json:"latencyMs" dynamodbav:"latencyMs"`
	OK        bool      `json:"ok" dynamodbav:"ok" doc:"The consumer answered 2xx"`
	Error     string    `json:"error,omitempty" dynamodbav:"error,omitempty"`
	Request   string    `json:"request" dynamodbav:"request" doc:"The body sent"`
	ResendOf  string    `json:"resendOf,omitempty" dynamodbav:"resendOf,omitempty" doc:"The delivery this one resent"`
}

// logItem is a Delivery as stored.
type logItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	TTL         int64  `dynamodbav:"ttl"`
	Account     string `dynamodbav:"account"`
	ContentType string `dynamodbav:"contentType"`
	Delivery
}

// newID returns an id that sorts by time: the Unix nanoseconds in hex,
// made to grow within this process even when the clock stands still, and
// a random suffix.
func (d *Deliverer) newID(now time.Time) string {
	n := now.UnixNano()
	for {
		last := d.lastID.Load()
		if n <= last {
			n = last + 1
		}
		if d.lastID.CompareAndSwap(last, n) {
			break
		}
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("dl%016x%s", n, hex.EncodeToString(r[:]))
}

func logKey(accountID, id string) store.Key {
	return store.Key{PK: model.AccountPK(accountID), SK: logPrefix + id}
}

// record writes one attempt to the log.
func (d *Deliverer) record(ctx context.Context, accountID, contentType string, e Delivery) error {
	if len(e.Request) > maxLoggedBody {
		e.Request = e.Request[:maxLoggedBody]
	}
	k := logKey(accountID, e.ID)
	item, err := store.Marshal(logItem{PK: k.PK, SK: k.SK, Type: typeDelivery, TTL: e.Time.Add(LogRetention).Unix(),
		Account: accountID, ContentType: contentType, Delivery: e})
	if err != nil {
		return err
	}
	if err := d.st.Write(ctx, store.Put(item)); err != nil {
		return fmt.Errorf("log delivery %s: %w", e.ID, err)
	}
	return nil
}

// Deliveries lists the account's delivery log, newest first (admins only).
func (d *Deliverer) Deliveries(ctx context.Context, p auth.Principal, cursor string, limit int) ([]Delivery, string, error) {
	if !p.Admin() {
		return nil, "", &account.Error{Kind: account.Forbidden, Message: "only admins read the webhook deliveries"}
	}
	if limit <= 0 {
		limit = defaultPage
	}
	page, err := d.st.Query(ctx, store.Query{PK: model.AccountPK(p.Account), Prefix: logPrefix, Reverse: true, Limit: limit, Cursor: cursor})
	if errors.Is(err, store.ErrInvalid) {
		return nil, "", &account.Error{Kind: account.Invalid, Field: "cursor", Message: "is not a cursor of this list"}
	}
	if err != nil {
		return nil, "", err
	}
	out := make([]Delivery, 0, len(page.Items))
	for _, it := range page.Items {
		var l logItem
		if err := store.Unmarshal(it, &l); err != nil {
			return nil, "", err
		}
		out = append(out, l.Delivery)
	}
	return out, page.Cursor, nil
}

// entry reads one logged attempt of the caller's account.
func (d *Deliverer) entry(ctx context.Context, p auth.Principal, id string) (logItem, error) {
	var l logItem
	if !strings.HasPrefix(id, "dl") || len(id) > 40 || strings.Contains(id, "#") {
		return l, &account.Error{Kind: account.NotFound, Message: "delivery not found"}
	}
	it, err := d.st.Get(ctx, logKey(p.Account, id))
	if errors.Is(err, store.ErrNotFound) {
		return l, &account.Error{Kind: account.NotFound, Message: "delivery not found"}
	}
	if err != nil {
		return l, err
	}
	return l, store.Unmarshal(it, &l)
}
