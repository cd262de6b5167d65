package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	callevents "github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// hidden records the visibility changes SQS would be asked for (there is
// no SQS to run here; events/webhook/sqs tests the wire form).
type hidden struct {
	mu   sync.Mutex
	wait map[string]time.Duration
}

func (h *hidden) ChangeVisibility(_ context.Context, receipt string, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.wait[receipt] = d
	return nil
}

// TestBatch: a batch with a delivered event, a failing one and a message
// that is no event. The failing one is reported and hidden for its
// attempt's backoff; the broken one is dropped.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(dir, "t.db"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kf, err := secret.OpenKeyFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(account.Config{Realm: "switchboard.test"}, db, secret.Envelope{KEK: kf}, mail.Folder{Dir: dir}, logger)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Signup(ctx, account.SignupInput{Company: "Acme", Name: "Ada", Email: "ada@acme.example", Password: "correct horse battery"}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Authenticate(ctx, res.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer crm.Close()
	_, err = svc.SetWebhooks(ctx, admin, account.WebhookSettings{
		Incoming: &account.Hook{URL: crm.URL + "/up", Events: []string{"hangup"}},
		Outgoing: &account.Hook{URL: crm.URL + "/down", Events: []string{"hangup"}},
	}, account.URLPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := webhook.New(webhook.Config{}, db, svc.Sealer(), logger)
	if err != nil {
		t.Fatal(err)
	}
	record := func(id, direction string, receives string) events.SQSMessage {
		ev := callevents.Event{ID: id, Type: callevents.Hangup, Account: res.Account.ID, Time: time.Now(),
			Call: &callevents.Call{ID: "c-" + id, Direction: direction, From: "+4930123456", To: "+492111234567", Cause: "busy"}}
		body, _ := json.Marshal(ev)
		return events.SQSMessage{MessageId: "m-" + id, ReceiptHandle: "r-" + id, Body: string(body),
			Attributes: map[string]string{"ApproximateReceiveCount": receives}}
	}
	vis := &hidden{wait: map[string]time.Duration{}}
	h := New(d, vis, webhook.DefaultRetry, logger)
	out, err := h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
		record("in", "in", "1"), record("out", "out", "7"), {MessageId: "m-junk", ReceiptHandle: "r-junk", Body: "{"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.BatchItemFailures) != 1 || out.BatchItemFailures[0].ItemIdentifier != "m-out" {
		t.Fatalf("failures %+v, want the outgoing one", out.BatchItemFailures)
	}
	ceiling := 30 * time.Second << 6 // the 7th attempt's backoff ceiling
	if w := vis.wait["r-out"]; len(vis.wait) != 1 || w < ceiling/2 || w > ceiling {
		t.Fatalf("hidden %v, want r-out for [%v, %v]", vis.wait, ceiling/2, ceiling)
	}
	if got.Load() != 2 {
		t.Fatalf("%d requests, want 2", got.Load())
	}
	log, _, err := d.Deliveries(ctx, admin, "", 10)
	if err != nil || len(log) != 2 {
		t.Fatalf("log %+v, %v", log, err)
	}
	for _, l := range log {
		if l.EventID == "out" && l.Attempt != 7 {
			t.Fatalf("attempt %d logged, want the receive count 7", l.Attempt)
		}
	}
}
