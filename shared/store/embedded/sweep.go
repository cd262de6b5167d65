package embedded

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	bolt "go.etcd.io/bbolt"

	"github.com/switchboard/switchboard/shared/store"
)

// ttlIdentity marks the change records of deletions by expiry, as DynamoDB
// does for its TTL deletions.
var ttlIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}

// janitor runs Sweep every SweepEvery until ctx ends.
func (db *DB) janitor(ctx context.Context) {
	defer close(db.done)
	t := time.NewTicker(db.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := db.Sweep(ctx); err != nil && ctx.Err() == nil {
				db.cfg.Logger.Warn("store sweep failed", "err", err)
			}
		}
	}
}

// Sweep deletes expired items (writing REMOVE change records, as DynamoDB's
// TTL deletion does) and trims change records older than the retention.
func (db *DB) Sweep(ctx context.Context) error {
	now := db.cfg.Clock()
	for {
		n, err := db.expireBatch(now, 500)
		if err != nil {
			return fmt.Errorf("delete expired items: %w", err)
		}
		if n > 0 {
			db.notify.wake()
		}
		if n < 500 || ctx.Err() != nil {
			break
		}
	}
	if _, err := db.trim(now.Add(-db.cfg.Retention)); err != nil {
		return fmt.Errorf("trim change log: %w", err)
	}
	return nil
}

// expireBatch deletes up to max items whose TTL is at or before now.
func (db *DB) expireBatch(now time.Time, max int) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketTTL).Cursor()
		var keys []store.Key
		for k, _ := c.First(); k != nil && len(keys) < max; k, _ = c.Next() {
			if int64(binary.BigEndian.Uint64(k[:8])) > now.Unix() {
				break
			}
			parts, err := decodeKey(k[8:], 2)
			if err != nil {
				return err
			}
			keys = append(keys, store.Key{PK: parts[0], SK: parts[1]})
		}
		for _, k := range keys {
			todo, err := db.check(tx, []store.Op{store.Delete(k)}, now, ttlIdentity)
			if err != nil {
				return err
			}
			if err := db.commit(tx, todo, now); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, err
}
