package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/shared/store"
)

// ErrLimited says that too many attempts were made; try again later.
var ErrLimited = errors.New("auth: too many attempts")

// Limiter counts attempts per key in fixed windows, in the table, so every
// process (every Lambda instance, every fleet node) shares the count. A
// window's counter is an item with a TTL; the count is kept as a negative
// number so that the store's "add with a lower bound" refuses the attempt
// past the limit atomically.
type Limiter struct {
	Store  store.Store
	Name   string        // what is limited, e.g. "login"
	Limit  int           // attempts per window
	Window time.Duration // window length
	Clock  store.Clock
}

// Allow records one attempt for key and returns ErrLimited (wrapped, with
// the time to wait) when the window's limit is already used up.
func (l Limiter) Allow(ctx context.Context, key string) error {
	now := time.Now()
	if l.Clock != nil {
		now = l.Clock()
	}
	win := now.Truncate(l.Window)
	k := store.Key{PK: "LIMIT#" + l.Name + "#" + key, SK: fmt.Sprintf("W#%d", win.Unix())}
	err := l.Store.Write(ctx, store.Update(k).
		AddAtLeast("neg", -1, -int64(l.Limit)).
		SetAttr(store.AttrTTL, store.N(win.Add(2*l.Window).Unix())))
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: retry after %s", ErrLimited, win.Add(l.Window).Sub(now).Round(time.Second))
	}
	return err
}

// RetryAfter is how long a limited caller should wait, for Retry-After.
func (l Limiter) RetryAfter(now time.Time) time.Duration {
	return now.Truncate(l.Window).Add(l.Window).Sub(now)
}
