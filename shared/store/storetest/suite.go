package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

// Run runs the whole conformance suite against the adapter that newHarness
// makes. Every test gets a fresh, empty table.
func Run(t *testing.T, newHarness Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness, clock *Clock)
	}{
		{"PutGet", testPutGet},
		{"Conditions", testConditions},
		{"Versions", testVersions},
		{"AtomicWrite", testAtomicWrite},
		{"Update", testUpdate},
		{"AddLowerBound", testAddLowerBound},
		{"Query", testQuery},
		{"QueryPaging", testQueryPaging},
		{"IndexQuery", testIndexQuery},
		{"TTL", testTTL},
		{"Invalid", testInvalid},
		{"ChangeRecords", testChangeRecords},
		{"ChangeRecordsTransaction", testChangeRecordsTransaction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock()
			h := newHarness(t, clock.Now)
			tc.fn(t, h, clock)
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// item builds an item from alternating attribute names and values; string
// values become S, int and int64 values become N.
func item(pk, sk string, kv ...any) store.Item {
	it := store.Item{store.AttrPK: store.S(pk), store.AttrSK: store.S(sk)}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			it[name] = store.S(v)
		case int:
			it[name] = store.N(int64(v))
		case int64:
			it[name] = store.N(v)
		default:
			panic("storetest: unsupported value type")
		}
	}
	return it
}

func str(it store.Item, name string) string {
	switch v := it[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return ""
}

func mustWrite(t *testing.T, s store.Store, ops ...store.Op) {
	t.Helper()
	if err := s.Write(ctxFor(t), ops...); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func mustGet(t *testing.T, s store.Store, k store.Key) store.Item {
	t.Helper()
	it, err := s.Get(ctxFor(t), k)
	if err != nil {
		t.Fatalf("get %s: %v", k, err)
	}
	return it
}

func wantNotFound(t *testing.T, s store.Store, k store.Key) {
	t.Helper()
	_, err := s.Get(ctxFor(t), k)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get %s: want ErrNotFound, got %v", k, err)
	}
}

// wantConflict checks that err is a conflict naming operation op.
func wantConflict(t *testing.T, err error, op int) {
	t.Helper()
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("want ErrConflict, got %v", err)
	}
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("want *store.ConflictError, got %T: %v", err, err)
	}
	if ce.Op != op {
		t.Fatalf("conflict names operation %d, want %d", ce.Op, op)
	}
}

func intAttr(t *testing.T, it store.Item, name string) int64 {
	t.Helper()
	n, ok := store.Int(it, name)
	if !ok {
		t.Fatalf("attribute %s is not an integer: %#v", name, it[name])
	}
	return n
}
