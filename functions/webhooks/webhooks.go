// Package webhooks delivers call events (new call, answer, hangup, DTMF)
// from the durable event queue to the subscribers' URLs, with signatures,
// retries and a delivery log. On AWS it consumes an SQS queue; locally the
// same handler is fed in process.
//
// Delivery itself comes with the webhooks feature; until then the handler
// refuses every batch, so that no event is acknowledged without having
// been delivered.
package webhooks

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
)

// ErrNotBuilt says that webhook delivery is not built yet.
var ErrNotBuilt = errors.New("webhooks: delivery is not built yet")

// Handler consumes batches of queued events.
type Handler struct{}

// New returns the handler.
func New() *Handler { return &Handler{} }

// Handle reports every message of the batch as failed: none is delivered.
func (h *Handler) Handle(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	if len(ev.Records) > 0 {
		return resp, ErrNotBuilt
	}
	return resp, nil
}
