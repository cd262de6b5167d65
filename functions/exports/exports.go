// Package exports writes billing exports (call records and statements as
// files) for finance: to S3 on AWS, to a folder locally. It runs on a
// schedule.
//
// The exports themselves come with billing; until then a run fails with
// ErrNotBuilt rather than pretending to have exported anything.
package exports

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
)

// ErrNotBuilt says that billing exports are not built yet.
var ErrNotBuilt = errors.New("exports: billing exports are not built yet")

// Handler runs one scheduled export.
type Handler struct{}

// New returns the handler.
func New() *Handler { return &Handler{} }

// Handle runs the export due at the event's time.
func (h *Handler) Handle(_ context.Context, _ events.EventBridgeEvent) error { return ErrNotBuilt }
