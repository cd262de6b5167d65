package store

import (
	"fmt"
	"time"
)

// CheckQuery validates q and returns it with its limit filled in, so both
// adapters reject the same requests the same way.
func CheckQuery(q Query) (Query, Index, error) {
	var ix Index
	if q.Index != "" {
		var ok bool
		if ix, ok = IndexByName(q.Index); !ok {
			return q, ix, fmt.Errorf("%w: unknown index %q", ErrInvalid, q.Index)
		}
	} else {
		ix = Index{PK: AttrPK, SK: AttrSK}
	}
	if q.PK == "" {
		return q, ix, fmt.Errorf("%w: query needs a partition key", ErrInvalid)
	}
	if q.Prefix != "" && (q.From != "" || q.To != "") {
		return q, ix, fmt.Errorf("%w: query takes a prefix or a range, not both", ErrInvalid)
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return q, ix, fmt.Errorf("%w: query range From %q is after To %q", ErrInvalid, q.From, q.To)
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return q, ix, fmt.Errorf("%w: limit %d outside 1..%d", ErrInvalid, q.Limit, MaxLimit)
	}
	return q, ix, nil
}

// CheckWrite validates the operations of one write: their number, keys,
// kinds, and that no item is touched twice. It fills in each put's key from
// its item.
func CheckWrite(ops []Op) error {
	if len(ops) == 0 || len(ops) > MaxOps {
		return fmt.Errorf("%w: a write takes 1..%d operations, got %d", ErrInvalid, MaxOps, len(ops))
	}
	seen := make(map[Key]int, len(ops))
	for i := range ops {
		op := &ops[i]
		if op.Kind == OpPut {
			k, err := KeyOf(op.Item)
			if err != nil {
				return fmt.Errorf("operation %d: %w", i, err)
			}
			op.Key = k
		}
		if op.Key.PK == "" || op.Key.SK == "" {
			return fmt.Errorf("%w: operation %d has an empty key", ErrInvalid, i)
		}
		switch op.Kind {
		case OpPut, OpDelete:
		case OpUpdate:
			for name := range op.Set {
				if reserved(name) {
					return fmt.Errorf("%w: operation %d sets key or version attribute %q", ErrInvalid, i, name)
				}
			}
			if dup := repeated(op); dup != "" {
				return fmt.Errorf("%w: operation %d names attribute %q more than once", ErrInvalid, i, dup)
			}
			for _, name := range op.Remove {
				if reserved(name) {
					return fmt.Errorf("%w: operation %d removes key or version attribute %q", ErrInvalid, i, name)
				}
				if _, both := op.Set[name]; both {
					return fmt.Errorf("%w: operation %d sets and removes %q", ErrInvalid, i, name)
				}
			}
			for _, a := range op.Add {
				if reserved(a.Attr) {
					return fmt.Errorf("%w: operation %d adds to key or version attribute %q", ErrInvalid, i, a.Attr)
				}
				if _, both := op.Set[a.Attr]; both {
					return fmt.Errorf("%w: operation %d sets and adds to %q", ErrInvalid, i, a.Attr)
				}
			}
			if len(op.Set)+len(op.Remove)+len(op.Add) == 0 {
				return fmt.Errorf("%w: operation %d updates nothing", ErrInvalid, i)
			}
		default:
			return fmt.Errorf("%w: operation %d has kind %v", ErrInvalid, i, op.Kind)
		}
		if op.Cond.Kind < CondNone || op.Cond.Kind > CondVersion {
			return fmt.Errorf("%w: operation %d has condition kind %d", ErrInvalid, i, op.Cond.Kind)
		}
		if j, dup := seen[op.Key]; dup {
			return fmt.Errorf("%w: operations %d and %d touch the same item %s", ErrInvalid, j, i, op.Key)
		}
		seen[op.Key] = i
	}
	return nil
}

// repeated returns an attribute that an update removes or adds to more
// than once, or removes and adds to; DynamoDB rejects such overlapping
// paths, so both adapters do.
func repeated(op *Op) string {
	seen := make(map[string]bool, len(op.Remove)+len(op.Add))
	for _, name := range op.Remove {
		if seen[name] {
			return name
		}
		seen[name] = true
	}
	for _, a := range op.Add {
		if seen[a.Attr] {
			return a.Attr
		}
		seen[a.Attr] = true
	}
	return ""
}

func reserved(name string) bool { return name == AttrPK || name == AttrSK || name == AttrVersion }

// Clock gives the time; adapters take one so tests can move time for TTLs.
type Clock func() time.Time
