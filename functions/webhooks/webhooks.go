// Package webhooks delivers queued call events (answer, hangup) from the
// webhook queue on AWS (SQS) to the subscribers' URLs, through the
// delivery core of events/webhook: signatures, the delivery log, one
// request per URL that has not taken the event yet.
//
// A batch reports each failed message as a batch item failure after
// hiding it for the backoff of its attempt (its receive count), so SQS
// retries it then; after webhook.Retry.Attempts receives, which span at
// least a day, the queue moves it to its dead-letter queue. newCall is
// not queued: the fleet posts it itself.
package webhooks

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	callevents "github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
)

// Deliverer is the delivery core; *webhook.Deliverer is one.
type Deliverer interface {
	Observe(ctx context.Context, ev callevents.Event) error
	Deliver(ctx context.Context, ev callevents.Event, attempt int) error
}

// Visibility hides a received message until its next attempt; the
// queue's *sqs.Queue is one.
type Visibility interface {
	ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error
}

// Handler consumes batches of queued events.
type Handler struct {
	d     Deliverer
	vis   Visibility
	retry webhook.Retry
	log   *slog.Logger
}

// New returns the handler.
func New(d Deliverer, vis Visibility, retry webhook.Retry, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return &Handler{d: d, vis: vis, retry: retry, log: logger}
}

// message is one record of a batch, decoded.
type message struct {
	id, receipt string
	attempt     int
	ev          callevents.Event
}

// Handle delivers a batch: it notes what later events need (answer
// times) in batch order, then delivers every event in parallel, and
// reports the ones that failed.
func (h *Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	var msgs []message
	for _, r := range batch.Records {
		m := message{id: r.MessageId, receipt: r.ReceiptHandle, attempt: 1}
		if n, err := strconv.Atoi(r.Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
			m.attempt = n
		}
		if err := json.Unmarshal([]byte(r.Body), &m.ev); err != nil || m.ev.ID == "" {
			// Nothing a retry could deliver: a publisher's bug, logged
			// and dropped.
			h.log.Error("webhook message is no call event", "message", r.MessageId, "err", err)
			continue
		}
		if err := h.d.Observe(ctx, m.ev); err != nil {
			h.log.Warn("call event not noted", "event", m.ev.ID, "err", err)
		}
		msgs = append(msgs, m)
	}
	failed := make([]bool, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed[i] = h.deliver(ctx, m)
		}()
	}
	wg.Wait()
	for i, m := range msgs {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.id})
		}
	}
	return resp, nil
}

// deliver tries one message and, when it fails, hides it for the backoff
// of its attempt. It reports whether the message failed.
func (h *Handler) deliver(ctx context.Context, m message) bool {
	err := h.d.Deliver(ctx, m.ev, m.attempt)
	if err == nil {
		return false
	}
	wait := h.retry.Delay(m.attempt)
	h.log.Info("webhook delivery failed", "account", m.ev.Account, "event", m.ev.ID, "attempt", m.attempt, "retry_in", wait.String(), "err", err)
	if err := h.vis.ChangeVisibility(ctx, m.receipt, wait); err != nil {
		// The message comes back after the queue's visibility timeout
		// instead: sooner, but not lost.
		h.log.Warn("webhook retry not scheduled", "event", m.ev.ID, "err", err)
	}
	return true
}
