package digest

import (
	"sync"
	"time"
)

// Limiter counts failed authentications per key (a source address or a
// device id) in a fixed window and blocks a key that reaches the limit
// for a while. It keeps at most max keys: when full, keys whose window
// and block are over are dropped, and if none are, new keys go uncounted
// (failing open keeps the server serving under a flood of spoofed
// sources; the keys already counted stay blocked).
type Limiter struct {
	limit  int
	window time.Duration
	block  time.Duration
	max    int

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	start time.Time // of the current window
	count int
	until time.Time // blocked before this time
}

// NewLimiter returns a Limiter that blocks a key for block once it has
// failed limit times within window, tracking at most max keys. It is safe
// for concurrent use.
func NewLimiter(limit int, window, block time.Duration, max int) *Limiter {
	return &Limiter{limit: limit, window: window, block: block, max: max, keys: map[string]*failures{}}
}

// Blocked reports whether k is blocked at now. It allocates nothing.
func (l *Limiter) Blocked(k string, now time.Time) bool {
	l.mu.Lock()
	f, ok := l.keys[k]
	b := ok && now.Before(f.until)
	l.mu.Unlock()
	return b
}

// Fail counts a failure of k at now and reports whether k is blocked
// from now on because of it (true only for the failure that reaches the
// limit, so the caller logs the block once).
func (l *Limiter) Fail(k string, now time.Time) (blockedNow bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[k]
	if !ok {
		if len(l.keys) >= l.max {
			l.pruneLocked(now)
			if len(l.keys) >= l.max {
				return false
			}
		}
		f = &failures{start: now}
		l.keys[k] = f
	}
	if now.Before(f.until) {
		return false
	}
	if now.Sub(f.start) >= l.window {
		f.start, f.count = now, 0
	}
	f.count++
	if f.count >= l.limit {
		f.until = now.Add(l.block)
		f.start, f.count = f.until, 0
		return true
	}
	return false
}

// Reset forgets the failures of k, unless it is blocked.
func (l *Limiter) Reset(k string, now time.Time) {
	l.mu.Lock()
	if f, ok := l.keys[k]; ok && !now.Before(f.until) {
		delete(l.keys, k)
	}
	l.mu.Unlock()
}

// Prune drops keys whose window and block are over; the owner calls it
// now and then so that the map does not keep keys that no longer count.
func (l *Limiter) Prune(now time.Time) {
	l.mu.Lock()
	l.pruneLocked(now)
	l.mu.Unlock()
}

func (l *Limiter) pruneLocked(now time.Time) {
	for k, f := range l.keys {
		if !now.Before(f.until) && now.Sub(f.start) >= l.window {
			delete(l.keys, k)
		}
	}
}
