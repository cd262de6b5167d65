package webhook

import (
	"math/rand/v2"
	"time"
)

// Retry is the schedule of attempts for a queued event: exponential
// backoff from Base, doubled per attempt up to Max, with jitter (each delay
// is drawn from its upper half, so consumers that fail together do not
// retry together), for at least MaxAge; then the event is dead-lettered.
type Retry struct {
	Base   time.Duration
	Max    time.Duration
	MaxAge time.Duration
}

// DefaultRetry retries for a day: 30 s, 1 min, 2 min, … up to an hour
// between attempts.
var DefaultRetry = Retry{Base: 30 * time.Second, Max: time.Hour, MaxAge: 24 * time.Hour}

func (r Retry) withDefaults() Retry {
	if r.Base <= 0 {
		r.Base = DefaultRetry.Base
	}
	if r.Max < r.Base {
		r.Max = max(r.Base, DefaultRetry.Max)
	}
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultRetry.MaxAge
	}
	return r
}

// ceiling is the delay before the attempt after attempt number n (from
// 1), without jitter.
func (r Retry) ceiling(n int) time.Duration {
	r = r.withDefaults()
	d := r.Base
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// Delay is the wait after failed attempt number n (from 1): drawn from
// the upper half of the backoff ceiling.
func (r Retry) Delay(n int) time.Duration {
	c := r.ceiling(n)
	return c/2 + time.Duration(rand.Int64N(int64(c/2)+1))
}

// GiveUp reports whether an event first tried at first and failed again
// at now has been retried long enough.
func (r Retry) GiveUp(first, now time.Time) bool {
	return now.Sub(first) >= r.withDefaults().MaxAge
}

// Attempts is how many attempts span MaxAge even when every delay is the
// shortest the jitter allows: the receive count after which a queue
// without clocks (SQS) may dead-letter.
func (r Retry) Attempts() int {
	r = r.withDefaults()
	var total time.Duration
	n := 1
	for total < r.MaxAge {
		total += r.ceiling(n) / 2
		n++
	}
	return n
}
