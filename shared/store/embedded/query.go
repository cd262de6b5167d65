package embedded

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/switchboard/switchboard/shared/store"
)

// Query implements store.Store. Pages are exact: it reads one item past the
// limit to know whether a cursor is needed.
func (db *DB) Query(ctx context.Context, q store.Query) (store.Page, error) {
	q, ix, err := store.CheckQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	after, err := cursorKey(q, ix)
	if err != nil {
		return store.Page{}, err
	}
	var items []store.Item
	err = db.bolt.View(func(tx *bolt.Tx) error {
		items, err = db.scan(ctx, tx, q, after)
		return err
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("query %s %q: %w", indexName(q), q.PK, err)
	}
	var page store.Page
	if len(items) > q.Limit {
		items = items[:q.Limit]
		page.Cursor = store.CursorFor(items[len(items)-1], ix)
	}
	page.Items = items
	return page, nil
}

func indexName(q store.Query) string {
	if q.Index == "" {
		return "table"
	}
	return q.Index
}

// cursorKey turns a query's cursor into the encoded key it continues after.
func cursorKey(q store.Query, ix store.Index) ([]byte, error) {
	if q.Cursor == "" {
		return nil, nil
	}
	keys, err := store.DecodeCursor(q.Cursor, store.CursorKeys(ix)...)
	if err != nil {
		return nil, err
	}
	if keys[ix.PK] != q.PK {
		return nil, fmt.Errorf("%w: cursor belongs to another partition", store.ErrInvalid)
	}
	if q.Index == "" {
		return encodeKey(keys[store.AttrPK], keys[store.AttrSK]), nil
	}
	return encodeKey(keys[ix.PK], keys[ix.SK], keys[store.AttrPK], keys[store.AttrSK]), nil
}

// scan walks one partition of the table or an index in order and returns
// up to Limit+1 unexpired items.
func (db *DB) scan(ctx context.Context, tx *bolt.Tx, q store.Query, after []byte) ([]store.Item, error) {
	bucket, parts := bucketItems, 2
	if q.Index != "" {
		ix, _ := store.IndexByName(q.Index)
		bucket, parts = indexBucket(ix), 4
	}
	c := tx.Bucket(bucket).Cursor()
	part := encodeKey(q.PK)
	k, v := position(c, q, part, after)
	step := c.Next
	if q.Reverse {
		step = c.Prev
	}
	now := db.cfg.Clock()
	var items []store.Item
	for n := 0; k != nil && bytes.HasPrefix(k, part); k, v = step() {
		if n++; n%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		comps, err := decodeKey(k, parts)
		if err != nil {
			return nil, err
		}
		if !inRange(q, comps[1]) {
			break
		}
		var it store.Item
		if parts == 2 {
			it, err = decodeItem(v)
		} else {
			it, err = loadItem(tx, store.Key{PK: comps[2], SK: comps[3]})
		}
		if err != nil {
			return nil, err
		}
		if it == nil || store.Expired(it, now) {
			continue
		}
		if items = append(items, it); len(items) > q.Limit {
			break
		}
	}
	return items, ctx.Err()
}

// position puts the cursor on the first key to look at.
func position(c *bolt.Cursor, q store.Query, part, after []byte) (k, v []byte) {
	if !q.Reverse {
		if after != nil {
			if k, v = c.Seek(after); bytes.Equal(k, after) {
				return c.Next()
			}
			return k, v
		}
		start := part
		switch {
		case q.Prefix != "":
			start = appendEscaped(bytes.Clone(part), q.Prefix)
		case q.From != "":
			start = appendEscaped(bytes.Clone(part), q.From)
		}
		return c.Seek(start)
	}
	// Backwards: find the first key past the range (exclusive end) and
	// step back from it.
	end := after
	if end == nil {
		switch {
		case q.Prefix != "":
			end = prefixEnd(appendEscaped(bytes.Clone(part), q.Prefix))
		case q.To != "":
			end = prefixEnd(appendComponent(bytes.Clone(part), q.To))
		default:
			end = prefixEnd(part)
		}
	}
	if end == nil {
		return c.Last()
	}
	if k, _ = c.Seek(end); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// inRange says whether sort key sk may still match; once it is false the
// walk has left the range (the walk runs in sort-key order).
func inRange(q store.Query, sk string) bool {
	switch {
	case q.Prefix != "":
		return strings.HasPrefix(sk, q.Prefix)
	case q.Reverse:
		return q.From == "" || sk >= q.From
	default:
		return q.To == "" || sk <= q.To
	}
}
