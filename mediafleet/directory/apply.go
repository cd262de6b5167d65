package directory

import (
	"context"
	"log/slog"

	"github.com/switchboard/switchboard/shared/change"
)

// Apply installs a batch of change notifications in table order. It
// implements streamsync's Sink and is idempotent: a notification whose
// sequence number is not newer than the last one applied, or whose entity
// is older than the one held, changes nothing. It never fails; a
// notification it cannot use is logged and skipped, so the stream does
// not stall on it.
func (d *Directory) Apply(ctx context.Context, batch []change.Notification) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range batch {
		n := &batch[i]
		if n.Sequence != "" {
			if d.last != "" && change.CompareSequence(n.Sequence, d.last) <= 0 {
				d.log.Debug("notification ignored: not newer than the last applied",
					"seq", n.Sequence, "last", d.last, "kind", n.Kind, "id", n.ID)
				continue
			}
			d.last = n.Sequence
		}
		if !d.st.apply(n) && d.log.Enabled(ctx, slog.LevelDebug) {
			d.log.Debug("notification ignored: the directory holds a newer version",
				"seq", n.Sequence, "kind", n.Kind, "removed", n.Removed, "account", n.Account, "id", n.ID)
		}
	}
	return nil
}

// apply installs one notification and reports whether it changed anything.
func (s *state) apply(n *change.Notification) bool {
	switch {
	case n.Kind == change.KindAccount && n.AccountItem != nil:
		if n.Removed {
			return s.removeAccount(n.AccountItem.ID, n.AccountItem.Version)
		}
		return s.putAccount(fromAccount(n.AccountItem))
	case n.Kind == change.KindUser && n.User != nil:
		if n.Removed {
			return s.removeUser(n.User.Account, n.User.ID, n.User.Version)
		}
		return s.putUser(fromUser(n.User))
	case n.Kind == change.KindDevice && n.Device != nil:
		if n.Removed {
			return s.removeDevice(n.Device.ID, n.Device.Version)
		}
		return s.putDevice(fromDevice(n.Device))
	case n.Kind == change.KindGroup && n.Group != nil:
		if n.Removed {
			return s.removeGroup(n.Group.Account, n.Group.ID, n.Group.Version)
		}
		return s.putGroup(fromGroup(n.Group))
	case n.Kind == change.KindNumber && n.Number != nil:
		if n.Removed {
			return s.removeNumber(n.Number.E164, n.Number.Version)
		}
		return s.putNumber(fromNumber(n.Number))
	}
	return false
}
