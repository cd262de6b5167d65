package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	bolt "go.etcd.io/bbolt"

	"github.com/switchboard/switchboard/shared/store"
)

// bucketTTL orders items by expiry (8-byte big-endian Unix seconds, then
// the item key), so the janitor finds expired items without a scan.
var bucketTTL = []byte("ttl")

// Write implements store.Store. All operations of a write are checked
// before any of them is applied: a failed condition leaves everything as it
// was. Writes are queued to one committer, which commits the writes that
// arrived together in one transaction (group commit), so concurrent writers
// share the cost of the file sync without any writer waiting for a timer.
func (db *DB) Write(ctx context.Context, ops ...store.Op) error {
	if err := store.CheckWrite(ops); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	req := writeReq{ops: ops, done: make(chan error, 1)}
	select {
	case db.writes <- req:
	case <-db.closing:
		return ErrClosed
	}
	// Once queued, the write is waited for even if ctx ends, so that the
	// caller never hears of a failure that was in fact committed.
	if err := <-req.done; err != nil {
		return fmt.Errorf("write %d operations: %w", len(ops), err)
	}
	return nil
}

type writeReq struct {
	ops  []store.Op
	done chan error
}

// maxGroup bounds how many writes share one commit.
const maxGroup = 128

// committer applies queued writes until Close.
func (db *DB) committer() {
	defer close(db.committed)
	for {
		var first writeReq
		select {
		case first = <-db.writes:
		case <-db.closing:
			return
		}
		group := []writeReq{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-db.writes:
				group = append(group, r)
			default:
				break drain
			}
		}
		db.commitGroup(group)
	}
}

// commitGroup applies each write of a group in turn within one
// transaction; a write whose check fails is skipped with its error, the
// others commit.
func (db *DB) commitGroup(group []writeReq) {
	now := db.cfg.Clock()
	results := make([]error, len(group))
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for i, r := range group {
			todo, err := db.check(tx, r.ops, now, nil)
			if err != nil {
				results[i] = err
				continue
			}
			if err := db.commit(tx, todo, now); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range group {
		if err != nil {
			results[i] = err
		}
		r.done <- results[i]
	}
	if err == nil {
		db.notify.wake()
	}
}

// pending is one operation's outcome, computed before anything is written.
type pending struct {
	key      store.Key
	old      store.Item
	oldRaw   []byte
	next     store.Item // nil: delete
	identity *events.DynamoDBUserIdentity
}

// check computes what ops would do, without writing: a write either
// fails here, changing nothing, or commits whole.
func (db *DB) check(tx *bolt.Tx, ops []store.Op, now time.Time, identity *events.DynamoDBUserIdentity) ([]pending, error) {
	todo := make([]pending, len(ops))
	for i, op := range ops {
		raw := tx.Bucket(bucketItems).Get(encodeKey(op.Key.PK, op.Key.SK))
		var old store.Item
		if raw != nil {
			var err error
			if old, err = decodeItem(raw); err != nil {
				return nil, fmt.Errorf("item %s: %w", op.Key, err)
			}
		}
		live := old != nil && !store.Expired(old, now)
		// An update never revives an expired item (see store.Op).
		if !condHolds(op.Cond, old, live) || (op.Kind == store.OpUpdate && old != nil && !live) {
			return nil, &store.ConflictError{Op: i, Key: op.Key}
		}
		next, ok, err := nextItem(op, old)
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		if !ok {
			return nil, &store.ConflictError{Op: i, Key: op.Key}
		}
		if next != nil {
			if _, err := indexKeys(op.Key, next); err != nil {
				return nil, fmt.Errorf("operation %d: %w", i, err)
			}
		}
		todo[i] = pending{key: op.Key, old: old, oldRaw: bytes.Clone(raw), next: next, identity: identity}
	}
	return todo, nil
}

// commit writes checked outcomes; an error here is a failure of the file,
// and fails the whole transaction.
func (db *DB) commit(tx *bolt.Tx, todo []pending, now time.Time) error {
	for _, p := range todo {
		if err := db.store(tx, p, now); err != nil {
			return err
		}
	}
	return nil
}

func condHolds(c store.Cond, old store.Item, live bool) bool {
	switch c.Kind {
	case store.CondNotExists:
		return !live
	case store.CondExists:
		return live
	case store.CondVersion:
		return live && store.Version(old) == c.Version
	}
	return true
}

// nextItem computes the item an operation leaves behind; ok is false when
// an addition would fall below its floor.
func nextItem(op store.Op, old store.Item) (next store.Item, ok bool, err error) {
	switch op.Kind {
	case store.OpDelete:
		return nil, true, nil
	case store.OpPut:
		next = make(store.Item, len(op.Item)+1)
		for k, v := range op.Item {
			next[k] = v
		}
		version := int64(1)
		if op.Cond.Kind == store.CondVersion {
			version = op.Cond.Version + 1
		}
		next[store.AttrVersion] = store.N(version)
		return next, true, nil
	}
	next = make(store.Item, len(old)+len(op.Set)+3)
	for k, v := range old {
		next[k] = v
	}
	next[store.AttrPK], next[store.AttrSK] = store.S(op.Key.PK), store.S(op.Key.SK)
	for k, v := range op.Set {
		next[k] = v
	}
	for _, name := range op.Remove {
		delete(next, name)
	}
	for _, a := range op.Add {
		cur := int64(0)
		if _, present := next[a.Attr]; present {
			n, isInt := store.Int(next, a.Attr)
			if !isInt {
				return nil, false, fmt.Errorf("%w: attribute %s is not an integer", store.ErrInvalid, a.Attr)
			}
			cur = n
		}
		sum := cur + a.Delta
		if a.Min != nil && sum < *a.Min {
			return nil, false, nil
		}
		next[a.Attr] = store.N(sum)
	}
	next[store.AttrVersion] = store.N(store.Version(old) + 1)
	return next, true, nil
}

// store writes one outcome: the item, its index and TTL entries, and a
// change record when anything changed.
func (db *DB) store(tx *bolt.Tx, p pending, now time.Time) error {
	ikey := encodeKey(p.key.PK, p.key.SK)
	var newRaw []byte
	if p.next != nil {
		var err error
		if newRaw, err = encodeItem(p.next); err != nil {
			return fmt.Errorf("item %s: %w", p.key, err)
		}
	}
	if bytes.Equal(p.oldRaw, newRaw) {
		return nil // DynamoDB writes no stream record when nothing changed
	}
	if err := unindex(tx, p.key, p.old); err != nil {
		return err
	}
	items := tx.Bucket(bucketItems)
	if p.next == nil {
		if err := items.Delete(ikey); err != nil {
			return err
		}
	} else {
		if err := index(tx, p.key, p.next); err != nil {
			return err
		}
		if err := items.Put(ikey, newRaw); err != nil {
			return err
		}
	}
	return db.record(tx, p, now)
}

// indexKeys lists the index entries of an item: an item is in an index
// when it has both of the index's key attributes.
func indexKeys(key store.Key, it store.Item) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, ix := range store.Indexes {
		pkv, hasPK := it[ix.PK]
		skv, hasSK := it[ix.SK]
		if !hasPK || !hasSK {
			continue
		}
		pk, ok1 := pkv.(*types.AttributeValueMemberS)
		sk, ok2 := skv.(*types.AttributeValueMemberS)
		if !ok1 || !ok2 || pk.Value == "" || sk.Value == "" {
			return nil, fmt.Errorf("%w: index %s keys %s and %s must be non-empty strings", store.ErrInvalid, ix.Name, ix.PK, ix.SK)
		}
		out[string(indexBucket(ix))] = encodeKey(pk.Value, sk.Value, key.PK, key.SK)
	}
	return out, nil
}

func ttlKey(key store.Key, it store.Item) []byte {
	ttl, ok := store.Int(it, store.AttrTTL)
	if !ok || ttl < 0 {
		return nil
	}
	return append(binary.BigEndian.AppendUint64(nil, uint64(ttl)), encodeKey(key.PK, key.SK)...)
}

func unindex(tx *bolt.Tx, key store.Key, old store.Item) error {
	if old == nil {
		return nil
	}
	keys, err := indexKeys(key, old)
	if err != nil {
		return err
	}
	for name, k := range keys {
		if err := tx.Bucket([]byte(name)).Delete(k); err != nil {
			return err
		}
	}
	if tk := ttlKey(key, old); tk != nil {
		return tx.Bucket(bucketTTL).Delete(tk)
	}
	return nil
}

func index(tx *bolt.Tx, key store.Key, next store.Item) error {
	keys, err := indexKeys(key, next)
	if err != nil {
		return err
	}
	for name, k := range keys {
		if err := tx.Bucket([]byte(name)).Put(k, nil); err != nil {
			return err
		}
	}
	if tk := ttlKey(key, next); tk != nil {
		return tx.Bucket(bucketTTL).Put(tk, nil)
	}
	return nil
}

// record appends the change record of one outcome to the change log.
func (db *DB) record(tx *bolt.Tx, p pending, now time.Time) error {
	log := tx.Bucket(bucketChanges)
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	name := store.EventModify
	switch {
	case p.old == nil:
		name = store.EventInsert
	case p.next == nil:
		name = store.EventRemove
	}
	rec := events.DynamoDBEventRecord{
		AWSRegion:      "local",
		EventID:        fmt.Sprintf("%032x", seq),
		EventName:      name,
		EventSource:    "aws:dynamodb",
		EventVersion:   "1.1",
		EventSourceArn: db.arn,
		UserIdentity:   p.identity,
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: now.Truncate(time.Second)},
			Keys:                        store.ToStream(store.Item{store.AttrPK: store.S(p.key.PK), store.AttrSK: store.S(p.key.SK)}),
			OldImage:                    store.ToStream(p.old),
			NewImage:                    store.ToStream(p.next),
			SequenceNumber:              formatSeq(seq),
			StreamViewType:              "NEW_AND_OLD_IMAGES",
		},
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode change record: %w", err)
	}
	rec.Change.SizeBytes = int64(len(raw))
	if raw, err = json.Marshal(rec); err != nil {
		return fmt.Errorf("encode change record: %w", err)
	}
	return log.Put(binary.BigEndian.AppendUint64(nil, seq), raw)
}

// Sequence numbers are decimal strings like DynamoDB's, zero-padded to 21
// digits so that they also sort as strings.
func formatSeq(seq uint64) string { return fmt.Sprintf("%021d", seq) }

// ParseSequence reads a change record's sequence number.
func ParseSequence(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("embedded: sequence number %q: %w", s, err)
	}
	return n, nil
}
