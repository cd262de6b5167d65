// Package storetest is the conformance suite of the store port: the same
// tests run against every adapter (store/dynamo against DynamoDB Local,
// store/embedded against a temporary file), so both keep one semantics.
// It is imported only by tests.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/store"
)

// Harness is one fresh, empty table behind an adapter.
type Harness struct {
	Store store.Store
	// Changes returns every change record written to this table since the
	// harness was made, oldest first, in the shape of DynamoDB stream
	// records.
	Changes func(ctx context.Context) ([]events.DynamoDBEventRecord, error)
}

// Factory makes a fresh harness whose adapter reads the time from clock.
// It registers its own cleanup with t.
type Factory func(t *testing.T, clock store.Clock) Harness

// Clock is a settable clock for TTL tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at the wall-clock time, truncated to a second.
func NewClock() *Clock { return &Clock{now: time.Now().Truncate(time.Second)} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
