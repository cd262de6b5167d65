package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/store"
)

func testTTL(t *testing.T, h Harness, clock *Clock) {
	s := h.Store
	ctx := ctxFor(t)
	now := clock.Now().Unix()
	mustWrite(t, s,
		store.Put(item("ACCOUNT#1", "BINDING#1", store.AttrTTL, now+60, "GSI1PK", "DEV#1", "GSI1SK", "B")),
		store.Put(item("ACCOUNT#1", "BINDING#2", store.AttrTTL, now+600, "GSI1PK", "DEV#1", "GSI1SK", "C")),
		store.Put(item("ACCOUNT#1", "BINDING#3", store.AttrTTL, now+60)),
		store.Put(item("ACCOUNT#1", "BINDING#4")),
	)
	k1 := store.Key{PK: "ACCOUNT#1", SK: "BINDING#1"}
	mustGet(t, s, k1)
	clock.Advance(61 * time.Second)
	wantNotFound(t, s, k1)
	mustGet(t, s, store.Key{PK: "ACCOUNT#1", SK: "BINDING#2"})
	// Expired items are skipped and pages stay exact around them.
	if got := queryAll(t, s, store.Query{PK: "ACCOUNT#1", Limit: 1}); !reflect.DeepEqual(got, [][]string{{"BINDING#2"}, {"BINDING#4"}}) {
		t.Fatalf("query pages %v", got)
	}
	p, err := s.Query(ctx, store.Query{Index: "GSI1", PK: "DEV#1"})
	if err != nil || !reflect.DeepEqual(sks(p.Items), []string{"BINDING#2"}) {
		t.Fatalf("index query %v, %v", sks(p.Items), err)
	}
	// An expired item counts as absent in conditions.
	wantConflict(t, s.Write(ctx, store.Update(k1).SetAttr("x", store.S("y")).If(store.Exists())), 0)
	wantConflict(t, s.Write(ctx, store.Delete(k1).If(store.VersionEquals(1))), 0)
	mustWrite(t, s, store.Put(item(k1.PK, k1.SK, "fresh", "yes")).If(store.NotExists()))
	if got := mustGet(t, s, k1); str(got, "fresh") != "yes" || got[store.AttrTTL] != nil {
		t.Fatalf("re-created item %v", got)
	}
	// An update never revives an expired item, with or without condition.
	k3 := store.Key{PK: "ACCOUNT#1", SK: "BINDING#3"}
	wantConflict(t, s.Write(ctx, store.Update(k3).SetAttr("x", store.S("y"))), 0)
	wantConflict(t, s.Write(ctx, store.Update(k3).AddTo("n", 1).If(store.NotExists())), 0)
	wantNotFound(t, s, k3)
	mustWrite(t, s, store.Put(item(k3.PK, k3.SK, "n", 1)))
	if got := mustGet(t, s, k3); store.Version(got) != 1 || intAttr(t, got, "n") != 1 {
		t.Fatalf("item written anew over an expired one: %v", got)
	}
	// Refreshing a TTL keeps an item alive.
	k2 := store.Key{PK: "ACCOUNT#1", SK: "BINDING#2"}
	mustWrite(t, s, store.Update(k2).SetAttr(store.AttrTTL, store.N(clock.Now().Unix()+3600)).If(store.Exists()))
	clock.Advance(600 * time.Second)
	mustGet(t, s, k2)
}

func testInvalid(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	ctx := ctxFor(t)
	many := make([]store.Op, store.MaxOps+1)
	for i := range many {
		many[i] = store.Put(item("ACCOUNT#1", "X#"+string(rune('a'+i))))
	}
	tests := []struct {
		name string
		ops  []store.Op
	}{
		{"no operations", nil},
		{"too many operations", many},
		{"same item twice", []store.Op{store.Put(item("A", "B")), store.Delete(store.Key{PK: "A", SK: "B"})}},
		{"item without key", []store.Op{store.Put(store.Item{"name": store.S("x")})}},
		{"empty key", []store.Op{store.Delete(store.Key{PK: "A"})}},
		{"update of nothing", []store.Op{store.Update(store.Key{PK: "A", SK: "B"})}},
		{"update of the key", []store.Op{store.Update(store.Key{PK: "A", SK: "B"}).SetAttr(store.AttrSK, store.S("C"))}},
		{"update of the version", []store.Op{store.Update(store.Key{PK: "A", SK: "B"}).AddTo(store.AttrVersion, 1)}},
		{"remove twice", []store.Op{{Kind: store.OpUpdate, Key: store.Key{PK: "A", SK: "B"}, Remove: []string{"a", "a"}}}},
		{"add twice", []store.Op{store.Update(store.Key{PK: "A", SK: "B"}).AddTo("n", 1).AddTo("n", 2)}},
		{"remove and add", []store.Op{{Kind: store.OpUpdate, Key: store.Key{PK: "A", SK: "B"}, Remove: []string{"n"}, Add: []store.Add{{Attr: "n", Delta: 1}}}}},
		{"set and remove", []store.Op{{Kind: store.OpUpdate, Key: store.Key{PK: "A", SK: "B"}, Set: store.Item{"a": store.S("1")}, Remove: []string{"a"}}}},
		{"unknown kind", []store.Op{{Kind: 99, Key: store.Key{PK: "A", SK: "B"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Write(ctx, tc.ops...); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
		})
	}
	// Nothing of the rejected writes landed.
	p, err := s.Query(ctx, store.Query{PK: "ACCOUNT#1"})
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("rejected writes left %v, %v", sks(p.Items), err)
	}
	if _, err := s.Get(ctx, store.Key{PK: "A", SK: "B"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rejected writes left A|B: %v", err)
	}
	queries := []store.Query{
		{},
		{PK: "A", Prefix: "x", From: "a"},
		{PK: "A", From: "b", To: "a"},
		{PK: "A", Limit: -1},
		{PK: "A", Limit: store.MaxLimit + 1},
	}
	for _, q := range queries {
		if _, err := s.Query(ctx, q); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("query %+v: want ErrInvalid, got %v", q, err)
		}
	}
}
