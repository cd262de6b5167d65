package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/shared/change"
)

// maxPending bounds the notifications a Sync holds while it loads a
// snapshot. Beyond it they are dropped and the snapshot is read once more:
// what they carried was in the table before they were pushed, so the next
// snapshot holds it.
const maxPending = 100_000

// Sync keeps a directory current from pushed change notifications and
// reloads it from snapshots without losing the pushes that arrive while a
// snapshot is read: those are held and applied, in order, after it.
// Applying a notification the snapshot already holds changes nothing (the
// directory compares versions), so nothing is lost or applied twice to
// harm.
//
// A new Sync holds every push until its first Reload: a node lists itself
// for pushes before it reads its first snapshot.
//
// Pushes of different stream shards may cross on the way; the directory
// drops the older one's changes, and the Sync reports itself Behind until
// the next Reload (see order).
type Sync struct {
	target Target
	log    *slog.Logger

	reload sync.Mutex // one Reload at a time

	mu       sync.Mutex
	loading  bool
	pending  []change.Notification
	overflow bool // pushes were dropped during this load
	order    order
}

// Target is what a Sync keeps current: a *Fleet (its directory, and the
// connection checks of the phones registered to it), or a bare directory
// (Directory).
type Target interface {
	// Apply takes notifications in table order.
	Apply(ctx context.Context, batch []change.Notification) error
	// Load replaces the directory with a snapshot of the table.
	Load(ctx context.Context) error
}

// Directory is the Target of a bare directory that reads its snapshots
// from st.
func Directory(dir *directory.Directory, st directory.Reader) Target { return bareDirectory{dir, st} }

type bareDirectory struct {
	dir *directory.Directory
	st  directory.Reader
}

func (d bareDirectory) Apply(ctx context.Context, batch []change.Notification) error {
	return d.dir.Apply(ctx, batch)
}

func (d bareDirectory) Load(ctx context.Context) error { return d.dir.Load(ctx, d.st) }

// NewSync returns a Sync of target.
func NewSync(target Target, logger *slog.Logger) *Sync {
	return &Sync{target: target, log: logger.With("component", "sync"), loading: true}
}

// Apply applies a pushed batch, or holds it while a snapshot is read. It
// implements streamsync's sink and never fails.
func (s *Sync) Apply(ctx context.Context, batch []change.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.order.duplicate(batch) {
		return nil
	}
	if !s.loading {
		s.order.note(batch)
		return s.target.Apply(ctx, batch)
	}
	if s.overflow || len(s.pending)+len(batch) > maxPending {
		s.overflow, s.pending = true, nil
		return nil
	}
	s.pending = append(s.pending, batch...)
	return nil
}

// Behind reports whether the directory dropped pushed changes it had not
// seen, because they arrived after newer ones (see order); a Reload
// repairs that. The node's Presence checks it every heartbeat.
func (s *Sync) Behind() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.behind
}

// Reload replaces the directory with a snapshot of the table, then applies
// the pushes held meanwhile. When the snapshot cannot be read, the
// directory keeps its view, the held pushes are applied to it, and the
// error is returned: the caller tries again later.
func (s *Sync) Reload(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	for {
		s.mu.Lock()
		s.loading = true
		s.mu.Unlock()

		err := s.target.Load(ctx)

		s.mu.Lock()
		if err == nil && s.overflow {
			s.log.Warn("too many pushes during the snapshot; reading it again", "held", maxPending)
			s.overflow, s.pending = false, nil
			s.mu.Unlock()
			continue
		}
		held := len(s.pending)
		if err == nil {
			s.order.reset()
		}
		if len(s.pending) > 0 {
			s.order.note(s.pending)
			_ = s.target.Apply(ctx, s.pending)
		}
		s.pending, s.loading, s.overflow = nil, false, false
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("fleet: reload directory: %w", err)
		}
		s.log.Info("directory reloaded", "held_pushes", held)
		return nil
	}
}
