package events

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is returned by a closed Local publisher.
var ErrClosed = errors.New("events: publisher closed")

// Local is the in-process publisher of the local stack: it hands every
// event to each subscriber's buffered channel. A subscriber that falls
// behind by more than its buffer makes Publish wait (backpressure) rather
// than lose events.
type Local struct {
	mu     sync.RWMutex
	subs   []chan Event
	closed bool
}

// NewLocal returns an in-process publisher.
func NewLocal() *Local { return &Local{} }

// Subscribe returns a channel that receives every event published from now
// on, until Close.
func (l *Local) Subscribe(buffer int) <-chan Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan Event, buffer)
	if l.closed {
		close(ch)
		return ch
	}
	l.subs = append(l.subs, ch)
	return ch
}

// Publish implements Publisher.
func (l *Local) Publish(ctx context.Context, ev Event) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	for _, ch := range l.subs {
		select {
		case ch <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close ends every subscription.
func (l *Local) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	for _, ch := range l.subs {
		close(ch)
	}
}
