package main

import (
	"context"
	"log/slog"

	"github.com/switchboard/switchboard/shared/change"
)

// fleetSink receives the fleet's notifications in the local stack. The
// fleet's directory (mediafleet/directory) takes this place when it lands;
// until then the notifications are logged at debug level.
type fleetSink struct{ log *slog.Logger }

func (s fleetSink) Apply(ctx context.Context, batch []change.Notification) error {
	for _, n := range batch {
		s.log.Debug("fleet notification", "seq", n.Sequence, "kind", n.Kind, "removed", n.Removed, "account", n.Account, "id", n.ID)
	}
	return nil
}
