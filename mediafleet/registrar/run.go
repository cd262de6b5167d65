package registrar

import (
	"context"
	"log/slog"
	"time"

	"github.com/emiago/sipgo/sip"
	"golang.org/x/sync/errgroup"
)

// Pinger sends NAT keep-alives to a registered device; *node.Node
// implements it (an OPTIONS request on UDP, a double CRLF on TCP).
type Pinger interface {
	KeepAlive(ctx context.Context, transport, addr string, target sip.Uri) error
}

// Timing of the background work.
const (
	// keepAliveTimeout bounds one keep-alive; a peer that does not answer
	// an OPTIONS within it is given up on until the next round.
	keepAliveTimeout = 5 * time.Second
	// retryWrite is the pause after a failed table write.
	retryWrite = time.Second
	// finalFlush bounds the last write of queued bindings at shutdown.
	finalFlush = 5 * time.Second
)

// Run does the registrar's background work until ctx ends: it writes
// queued binding changes to the table in batches, and every KeepAlive
// interval sweeps expired bindings (and those of devices disabled, locked
// or removed since they registered) and sends each live binding a NAT
// keep-alive through p, at most KeepAliveWorkers at a time. p may be nil;
// then no keep-alives are sent. When ctx ends, Run writes what is still
// queued (for a few seconds at most) and returns nil.
func (r *Registrar) Run(ctx context.Context, p Pinger) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { r.writeLoop(gctx); return nil })
	g.Go(func() error { r.sweepLoop(gctx, p); return nil })
	return g.Wait()
}

// Flush writes the queued binding changes now.
func (r *Registrar) Flush(ctx context.Context) error {
	return r.writer.flush(ctx)
}

func (r *Registrar) writeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlush)
			defer cancel()
			if err := r.writer.flush(final); err != nil {
				r.log.Warn("bindings not written at shutdown", "queued", r.writer.queued(), "error", err.Error())
			}
			return
		case <-r.writer.wake:
		}
		if err := r.writer.flush(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("bindings not written; retrying", "queued", r.writer.queued(), "error", err.Error())
			t := time.NewTimer(retryWrite)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			// The failed operations are queued again; wake the loop for them.
			select {
			case r.writer.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (r *Registrar) sweepLoop(ctx context.Context, p Pinger) {
	tick := time.NewTicker(r.cfg.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.sweep()
		if p != nil {
			r.keepAlive(ctx, p)
		}
	}
}

// sweep drops expired bindings and those of devices that may no longer
// register, queues the table writes that brings, and forgets failure
// counts that are over.
func (r *Registrar) sweep() {
	now := r.cfg.Clock()
	ops := r.bindings.sweep(now, 2*r.cfg.KeepAlive, r.cfg.Node, r.allowed)
	r.writer.queue(ops...)
	r.bySource.Prune(now)
	r.byDevice.Prune(now)
}

// allowed reports whether a device may still hold bindings.
func (r *Registrar) allowed(device string) bool {
	c, ok := r.dir.Credentials(device)
	return ok && c.Device.Enabled && !c.Locked
}

// keepAlive sends one keep-alive to every live binding.
func (r *Registrar) keepAlive(ctx context.Context, p Pinger) {
	var g errgroup.Group
	g.SetLimit(r.cfg.KeepAliveWorkers)
	for _, b := range r.bindings.all(r.cfg.Clock()) {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			c, cancel := context.WithTimeout(ctx, keepAliveTimeout)
			defer cancel()
			if err := p.KeepAlive(c, b.Transport, b.Source, b.Contact); err != nil && ctx.Err() == nil &&
				r.log.Enabled(ctx, slog.LevelDebug) {
				r.log.Debug("keep-alive failed", "device", b.Device, "source", b.Source,
					"transport", b.Transport, "error", err.Error())
			}
			return nil
		})
	}
	_ = g.Wait()
}
