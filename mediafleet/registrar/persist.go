package registrar

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/switchboard/switchboard/shared/store"
)

// Writer is the part of the table port the registrar writes bindings with.
type Writer interface {
	Write(ctx context.Context, ops ...store.Op) error
}

// writer keeps binding writes off the REGISTER path: handlers queue them
// and Run writes them in batches of up to store.MaxOps operations, so one
// table write carries many registrations. Only the newest operation per
// item is kept, so a binding refreshed or removed before its write went
// out costs one write, not two.
type writer struct {
	store Writer
	// flushing serializes flushes, so a flush returns only after every
	// operation queued before it has been written (or failed).
	flushing sync.Mutex

	mu      sync.Mutex
	pending map[store.Key]store.Op
	wake    chan struct{} // has an element when pending may be non-empty
}

func newWriter(s Writer) *writer {
	return &writer{store: s, pending: map[store.Key]store.Op{}, wake: make(chan struct{}, 1)}
}

// queue adds operations to the next batch.
func (w *writer) queue(ops ...store.Op) {
	if len(ops) == 0 {
		return
	}
	w.mu.Lock()
	for _, op := range ops {
		w.pending[op.Key] = op
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// flush writes everything queued so far. Operations of a failed batch go
// back to the queue unless a newer one for the same item arrived, and the
// first error is returned.
func (w *writer) flush(ctx context.Context) error {
	w.flushing.Lock()
	defer w.flushing.Unlock()
	w.mu.Lock()
	todo := w.pending
	w.pending = make(map[store.Key]store.Op, len(todo))
	w.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	ops := make([]store.Op, 0, len(todo))
	for _, op := range todo {
		ops = append(ops, op)
	}
	var errs []error
	for len(ops) > 0 {
		n := min(len(ops), store.MaxOps)
		if err := w.store.Write(ctx, ops[:n]...); err != nil {
			errs = append(errs, err)
			w.requeue(ops[:n])
		}
		ops = ops[n:]
	}
	if len(errs) > 0 {
		return fmt.Errorf("registrar: write bindings: %w", errors.Join(errs...))
	}
	return nil
}

func (w *writer) requeue(ops []store.Op) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, op := range ops {
		if _, newer := w.pending[op.Key]; !newer {
			w.pending[op.Key] = op
		}
	}
}

// queued returns how many operations wait.
func (w *writer) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}
