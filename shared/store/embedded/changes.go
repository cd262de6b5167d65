package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	bolt "go.etcd.io/bbolt"
)

// ErrTrimmed says that change records a reader asked for were already
// trimmed from the log: the reader has a gap and must reload from the
// table instead.
var ErrTrimmed = errors.New("embedded: change records were trimmed")

// ErrClosed is returned to subscribers when the database closes.
var ErrClosed = errors.New("embedded: database closed")

var keyTrimmedThrough = []byte("trimmedThrough")

// ReadChanges returns up to max change records with sequence numbers
// greater than after, oldest first.
func (db *DB) ReadChanges(ctx context.Context, after uint64, max int) ([]events.DynamoDBEventRecord, error) {
	if max <= 0 {
		max = 100
	}
	var recs []events.DynamoDBEventRecord
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if trimmed := trimmedThrough(tx); after < trimmed {
			return fmt.Errorf("%w: asked for records after %d, the log starts after %d", ErrTrimmed, after, trimmed)
		}
		c := tx.Bucket(bucketChanges).Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil && len(recs) < max; k, v = c.Next() {
			var rec events.DynamoDBEventRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode change record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			recs = append(recs, rec)
		}
		return ctx.Err()
	})
	return recs, err
}

// LastSequence is the sequence number of the newest change record (0 when
// there is none yet). A reader that loads a snapshot of the table first and
// then reads changes after this number misses nothing.
func (db *DB) LastSequence() (uint64, error) {
	var seq uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketChanges).Sequence()
		return nil
	})
	return seq, err
}

// Subscribe calls fn with every batch of change records after the given
// sequence number, oldest first, now and as they are written, until ctx
// ends (nil), the database closes (ErrClosed), the records were trimmed
// (ErrTrimmed) or fn fails. A batch that fn fails is not passed again.
func (db *DB) Subscribe(ctx context.Context, after uint64, batch int, fn func(context.Context, []events.DynamoDBEventRecord) error) error {
	for {
		wake := db.notify.wait() // before reading, so no wake-up is missed
		recs, err := db.ReadChanges(ctx, after, batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if len(recs) > 0 {
			if err := fn(ctx, recs); err != nil {
				return err
			}
			last, err := ParseSequence(recs[len(recs)-1].Change.SequenceNumber)
			if err != nil {
				return err
			}
			after = last
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case _, open := <-wake:
			if !open && db.notify.isClosed() {
				return ErrClosed
			}
		}
	}
}

func trimmedThrough(tx *bolt.Tx) uint64 {
	v := tx.Bucket(bucketMeta).Get(keyTrimmedThrough)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// trim deletes change records created before cutoff.
func (db *DB) trim(cutoff time.Time) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChanges).Cursor()
		var last uint64
		for k, v := c.First(); k != nil && n < 10000; k, v = c.First() {
			var rec struct {
				Change struct {
					ApproximateCreationDateTime events.SecondsEpochTime
				} `json:"dynamodb"`
			}
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if !rec.Change.ApproximateCreationDateTime.Before(cutoff) {
				break
			}
			last = binary.BigEndian.Uint64(k)
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		if last == 0 {
			return nil
		}
		return tx.Bucket(bucketMeta).Put(keyTrimmedThrough, binary.BigEndian.AppendUint64(nil, last))
	})
	return n, err
}

// notifier wakes every waiting subscriber at once: wait hands out the
// current channel, wake closes it and installs a new one.
type notifier struct {
	mu     sync.Mutex
	ch     chan struct{}
	closed bool
}

func newNotifier() *notifier { return &notifier{ch: make(chan struct{})} }

func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) wake() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	close(n.ch)
	n.ch = make(chan struct{})
}

func (n *notifier) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.closed = true
		close(n.ch)
	}
}

func (n *notifier) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}
