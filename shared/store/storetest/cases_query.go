package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/switchboard/switchboard/shared/store"
)

// sks lists the sort keys (or attr, when given) of a page's items.
func sks(items []store.Item, attr ...string) []string {
	name := store.AttrSK
	if len(attr) > 0 {
		name = attr[0]
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = str(it, name)
	}
	return out
}

// queryAll pages through a query and returns every page's sort keys.
func queryAll(t *testing.T, s store.Store, q store.Query) [][]string {
	t.Helper()
	var pages [][]string
	for i := 0; i < 100; i++ {
		p, err := s.Query(ctxFor(t), q)
		if err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		pages = append(pages, sks(p.Items))
		if p.Cursor == "" {
			return pages
		}
		q.Cursor = p.Cursor
	}
	t.Fatal("query did not end after 100 pages")
	return nil
}

func seedQuery(t *testing.T, s store.Store) {
	t.Helper()
	var ops []store.Op
	for _, sk := range []string{"EXT#10", "EXT#11", "EXT#20", "USER#a", "USER#b", "USER#c", "ZONE"} {
		ops = append(ops, store.Put(item("ACCOUNT#1", sk)))
	}
	ops = append(ops, store.Put(item("ACCOUNT#2", "USER#x")))
	mustWrite(t, s, ops...)
}

func testQuery(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	seedQuery(t, s)
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"partition", store.Query{PK: "ACCOUNT#1"}, []string{"EXT#10", "EXT#11", "EXT#20", "USER#a", "USER#b", "USER#c", "ZONE"}},
		{"prefix", store.Query{PK: "ACCOUNT#1", Prefix: "USER#"}, []string{"USER#a", "USER#b", "USER#c"}},
		{"prefix reverse", store.Query{PK: "ACCOUNT#1", Prefix: "EXT#", Reverse: true}, []string{"EXT#20", "EXT#11", "EXT#10"}},
		{"prefix narrow", store.Query{PK: "ACCOUNT#1", Prefix: "EXT#1"}, []string{"EXT#10", "EXT#11"}},
		{"range", store.Query{PK: "ACCOUNT#1", From: "EXT#11", To: "USER#b"}, []string{"EXT#11", "EXT#20", "USER#a", "USER#b"}},
		{"from only", store.Query{PK: "ACCOUNT#1", From: "USER#c"}, []string{"USER#c", "ZONE"}},
		{"to only reverse", store.Query{PK: "ACCOUNT#1", To: "EXT#11", Reverse: true}, []string{"EXT#11", "EXT#10"}},
		{"limit", store.Query{PK: "ACCOUNT#1", Limit: 2}, []string{"EXT#10", "EXT#11"}},
		{"other partition", store.Query{PK: "ACCOUNT#2"}, []string{"USER#x"}},
		{"empty partition", store.Query{PK: "ACCOUNT#3"}, []string{}},
		{"no match", store.Query{PK: "ACCOUNT#1", Prefix: "GROUP#"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Query(ctxFor(t), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := sks(p.Items); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for _, it := range p.Items {
				if store.Version(it) != 1 {
					t.Fatalf("query item lacks its version: %v", it)
				}
			}
		})
	}
}

func testQueryPaging(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	var ops []store.Op
	for i := 0; i < 7; i++ {
		ops = append(ops, store.Put(item("ACCOUNT#1", fmt.Sprintf("CALL#%02d", i))))
	}
	mustWrite(t, s, ops...)
	tests := []struct {
		name string
		q    store.Query
		want [][]string
	}{
		{"forward by 3", store.Query{PK: "ACCOUNT#1", Limit: 3},
			[][]string{{"CALL#00", "CALL#01", "CALL#02"}, {"CALL#03", "CALL#04", "CALL#05"}, {"CALL#06"}}},
		{"reverse by 3", store.Query{PK: "ACCOUNT#1", Limit: 3, Reverse: true},
			[][]string{{"CALL#06", "CALL#05", "CALL#04"}, {"CALL#03", "CALL#02", "CALL#01"}, {"CALL#00"}}},
		// Pages are exact: when the last page is full, its cursor is empty.
		{"exact fit", store.Query{PK: "ACCOUNT#1", Limit: 7}, [][]string{{"CALL#00", "CALL#01", "CALL#02", "CALL#03", "CALL#04", "CALL#05", "CALL#06"}}},
		{"range by 2", store.Query{PK: "ACCOUNT#1", From: "CALL#02", To: "CALL#05", Limit: 2},
			[][]string{{"CALL#02", "CALL#03"}, {"CALL#04", "CALL#05"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryAll(t, s, tc.q); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("pages %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("cursor survives writes", func(t *testing.T) {
		p, err := s.Query(ctxFor(t), store.Query{PK: "ACCOUNT#1", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		// Deleting the last returned item must not break the cursor.
		mustWrite(t, s, store.Delete(store.Key{PK: "ACCOUNT#1", SK: "CALL#01"}))
		p, err = s.Query(ctxFor(t), store.Query{PK: "ACCOUNT#1", Limit: 2, Cursor: p.Cursor})
		if err != nil {
			t.Fatal(err)
		}
		if got := sks(p.Items); !reflect.DeepEqual(got, []string{"CALL#02", "CALL#03"}) {
			t.Fatalf("after delete got %v", got)
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		_, err := s.Query(ctxFor(t), store.Query{PK: "ACCOUNT#1", Cursor: "not a cursor!"})
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("want ErrInvalid, got %v", err)
		}
	})
}

func testIndexQuery(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	// Devices of two accounts, found by device id through GSI1; two items
	// share one index key to check that cursors stay unambiguous.
	mustWrite(t, s,
		store.Put(item("ACCOUNT#1", "DEVICE#e0", "GSI1PK", "DEVICE#1e0", "GSI1SK", "DEVICE", "name", "one")),
		store.Put(item("ACCOUNT#2", "DEVICE#e0", "GSI1PK", "DEVICE#2e0", "GSI1SK", "DEVICE", "name", "two")),
		store.Put(item("ACCOUNT#1", "NUMBER#a", "GSI1PK", "NUMBER#+49301", "GSI1SK", "N", "GSI2PK", "ROUTE#u1", "GSI2SK", "1")),
		store.Put(item("ACCOUNT#1", "NUMBER#b", "GSI1PK", "NUMBER#+49302", "GSI1SK", "N", "GSI2PK", "ROUTE#u1", "GSI2SK", "1")),
		store.Put(item("ACCOUNT#1", "NUMBER#c", "GSI1PK", "NUMBER#+49303", "GSI1SK", "N", "GSI2PK", "ROUTE#u1", "GSI2SK", "1")),
		store.Put(item("ACCOUNT#1", "NUMBER#d", "GSI2PK", "ROUTE#u1", "GSI2SK", "0")),
		store.Put(item("ACCOUNT#1", "PLAIN")),
	)
	p, err := s.Query(ctxFor(t), store.Query{Index: "GSI1", PK: "DEVICE#2e0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || str(p.Items[0], "name") != "two" || str(p.Items[0], store.AttrPK) != "ACCOUNT#2" {
		t.Fatalf("GSI1 lookup got %v", p.Items)
	}
	got := queryAll(t, s, store.Query{Index: "GSI2", PK: "ROUTE#u1", Limit: 1})
	// Sorted by the index sort key; ties come in some order, each exactly once.
	var flat []string
	for _, pg := range got {
		if len(pg) > 1 {
			t.Fatalf("page larger than limit: %v", got)
		}
		flat = append(flat, pg...)
	}
	if len(flat) != 4 || flat[0] != "NUMBER#d" {
		t.Fatalf("GSI2 pages %v, want NUMBER#d first and 4 items", got)
	}
	seen := map[string]bool{}
	for _, sk := range flat {
		if seen[sk] {
			t.Fatalf("GSI2 paging repeated %s: %v", sk, got)
		}
		seen[sk] = true
	}
	p, err = s.Query(ctxFor(t), store.Query{Index: "GSI1", PK: "NUMBER#+49302", Prefix: "N"})
	if err != nil || len(p.Items) != 1 || str(p.Items[0], store.AttrSK) != "NUMBER#b" {
		t.Fatalf("GSI1 prefix query got %v, %v", p.Items, err)
	}
	_, err = s.Query(ctxFor(t), store.Query{Index: "NOPE", PK: "x"})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown index: want ErrInvalid, got %v", err)
	}
}
