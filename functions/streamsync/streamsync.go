// Package streamsync keeps the media fleet in step with the table: it turns
// batches of change records into typed notifications (package shared/change)
// and hands them, in order, to a sink that delivers them to the fleet.
//
// On AWS it is the Lambda function on the table's DynamoDB stream, and its
// sink is a Fanout: it pushes each batch to the sync endpoint of every live
// fleet node the table lists. In the local stack the same handler is fed
// from the embedded store's change log, in process, and its sink is the
// fleet's directory. It does not decide what the fleet does with a
// notification.
package streamsync

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/change"
)

// Sink receives notifications in table order.
type Sink interface {
	Apply(ctx context.Context, batch []change.Notification) error
}

// Handler decodes change records for a sink.
type Handler struct {
	sink Sink
	log  *slog.Logger
}

// New returns a handler that feeds sink.
func New(sink Sink, logger *slog.Logger) (*Handler, error) {
	if sink == nil {
		return nil, fmt.Errorf("streamsync: no sink")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Handler{sink: sink, log: logger}, nil
}

// Handle processes one batch of stream records. Records of items the fleet
// does not follow are skipped. When a record cannot be decoded, the
// notifications before it are still delivered and the response names that
// record as the first failure, so the stream (with ReportBatchItemFailures)
// retries from there; when the sink fails, the whole batch is reported.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	batch := make([]change.Notification, 0, len(ev.Records))
	failedAt := -1
	for i, rec := range ev.Records {
		n, ok, err := change.Decode(rec)
		if err != nil {
			h.log.Error("undecodable change record", "seq", rec.Change.SequenceNumber, "event", rec.EventName, "err", err)
			failedAt = i
			break
		}
		if ok {
			batch = append(batch, n)
		}
	}
	if len(batch) > 0 {
		if err := h.sink.Apply(ctx, batch); err != nil {
			h.log.Error("fleet sink failed", "records", len(ev.Records), "err", err)
			failedAt = 0
		}
	}
	if failedAt >= 0 && len(ev.Records) > 0 {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[failedAt].Change.SequenceNumber}}
	}
	return resp, nil
}
