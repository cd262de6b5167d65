package storetest

import (
	"errors"
	"testing"

	"github.com/switchboard/switchboard/shared/store"
)

func testPutGet(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	k := store.Key{PK: "ACCOUNT#1", SK: "USER#a"}
	wantNotFound(t, s, k)
	mustWrite(t, s, store.Put(item(k.PK, k.SK, "name", "Ada", "age", 36)))
	got := mustGet(t, s, k)
	if str(got, "name") != "Ada" || intAttr(t, got, "age") != 36 {
		t.Fatalf("get returned %v", got)
	}
	if str(got, store.AttrPK) != k.PK || str(got, store.AttrSK) != k.SK {
		t.Fatalf("get lost the key: %v", got)
	}
	if v := store.Version(got); v != 1 {
		t.Fatalf("new item has version %d, want 1", v)
	}
	// A put replaces the whole item: attributes it lacks are gone.
	mustWrite(t, s, store.Put(item(k.PK, k.SK, "name", "Grace")))
	got = mustGet(t, s, k)
	if str(got, "name") != "Grace" || got["age"] != nil {
		t.Fatalf("put did not replace the item: %v", got)
	}
	// Another sort key of the same partition is another item.
	wantNotFound(t, s, store.Key{PK: k.PK, SK: "USER#b"})
	mustWrite(t, s, store.Delete(k))
	wantNotFound(t, s, k)
	// Deleting what is not there is no error.
	mustWrite(t, s, store.Delete(k))
}

func testConditions(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	ctx := ctxFor(t)
	k := store.Key{PK: "ACCOUNT#1", SK: "EXT#10"}
	if err := s.Write(ctx, store.Delete(k).If(store.Exists())); err != nil {
		wantConflict(t, err, 0)
	} else {
		t.Fatal("delete of a missing item with Exists succeeded")
	}
	wantConflict(t, s.Write(ctx, store.Update(k).SetAttr("x", store.S("1")).If(store.Exists())), 0)
	wantNotFound(t, s, k) // the failed update created nothing
	wantConflict(t, s.Write(ctx, store.Put(item(k.PK, k.SK)).If(store.VersionEquals(1))), 0)
	mustWrite(t, s, store.Put(item(k.PK, k.SK, "owner", "u1")).If(store.NotExists()))
	err := s.Write(ctx, store.Put(item(k.PK, k.SK, "owner", "u2")).If(store.NotExists()))
	wantConflict(t, err, 0)
	var ce *store.ConflictError
	if errors.As(err, &ce) && ce.Key != k {
		t.Fatalf("conflict names key %v, want %v", ce.Key, k)
	}
	if got := mustGet(t, s, k); str(got, "owner") != "u1" {
		t.Fatalf("failed put changed the item: %v", got)
	}
	mustWrite(t, s, store.Update(k).SetAttr("owner", store.S("u3")).If(store.Exists()))
	wantConflict(t, s.Write(ctx, store.Delete(k).If(store.VersionEquals(1))), 0)
	mustWrite(t, s, store.Delete(k).If(store.VersionEquals(2)))
	wantNotFound(t, s, k)
}

func testVersions(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	k := store.Key{PK: "ACCOUNT#1", SK: "DEVICE#1234567e0"}
	mustWrite(t, s, store.Put(item(k.PK, k.SK, "name", "desk", store.AttrVersion, 42)))
	if v := store.Version(mustGet(t, s, k)); v != 1 {
		t.Fatalf("put without version condition stored version %d, want 1", v)
	}
	mustWrite(t, s, store.Update(k).SetAttr("name", store.S("hall")))
	mustWrite(t, s, store.Update(k).SetAttr("name", store.S("lobby")).If(store.VersionEquals(2)))
	got := mustGet(t, s, k)
	if v := store.Version(got); v != 3 || str(got, "name") != "lobby" {
		t.Fatalf("after two updates: version %d name %q, want 3 lobby", v, str(got, "name"))
	}
	// A stale writer loses.
	wantConflict(t, s.Write(ctxFor(t), store.Put(item(k.PK, k.SK, "name", "stale")).If(store.VersionEquals(2))), 0)
	mustWrite(t, s, store.Put(item(k.PK, k.SK, "name", "fresh")).If(store.VersionEquals(3)))
	got = mustGet(t, s, k)
	if v := store.Version(got); v != 4 || str(got, "name") != "fresh" {
		t.Fatalf("versioned put: version %d name %q, want 4 fresh", v, str(got, "name"))
	}
}

func testAtomicWrite(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	ctx := ctxFor(t)
	acct := "ACCOUNT#7"
	guard := store.Key{PK: "EMAIL#ada@example.com", SK: "EMAIL"}
	mustWrite(t, s,
		store.Put(item(guard.PK, guard.SK, "account", "7")).If(store.NotExists()),
		store.Put(item(acct, "USER#a", "email", "ada@example.com")),
		store.Update(store.Key{PK: acct, SK: "ACCOUNT"}).AddTo("users", 1),
	)
	if n := intAttr(t, mustGet(t, s, store.Key{PK: acct, SK: "ACCOUNT"}), "users"); n != 1 {
		t.Fatalf("counter %d, want 1", n)
	}
	// The third operation fails: none of the four may take effect.
	err := s.Write(ctx,
		store.Put(item(acct, "USER#b", "email", "ada@example.com")),
		store.Update(store.Key{PK: acct, SK: "ACCOUNT"}).AddTo("users", 1),
		store.Put(item(guard.PK, guard.SK, "account", "8")).If(store.NotExists()),
		store.Delete(store.Key{PK: acct, SK: "USER#a"}),
	)
	wantConflict(t, err, 2)
	wantNotFound(t, s, store.Key{PK: acct, SK: "USER#b"})
	mustGet(t, s, store.Key{PK: acct, SK: "USER#a"})
	if n := intAttr(t, mustGet(t, s, store.Key{PK: acct, SK: "ACCOUNT"}), "users"); n != 1 {
		t.Fatalf("counter %d after failed write, want 1", n)
	}
	if got := mustGet(t, s, guard); str(got, "account") != "7" {
		t.Fatalf("guard changed by failed write: %v", got)
	}
	// The first failing condition of several is named when only one fails;
	// here operation 0 fails.
	err = s.Write(ctx,
		store.Delete(store.Key{PK: acct, SK: "USER#zz"}).If(store.Exists()),
		store.Put(item(acct, "USER#c")),
	)
	wantConflict(t, err, 0)
	wantNotFound(t, s, store.Key{PK: acct, SK: "USER#c"})
}

func testUpdate(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	k := store.Key{PK: "ACCOUNT#1", SK: "USER#a"}
	// An update of a missing item creates it.
	mustWrite(t, s, store.Update(k).SetAttr("name", store.S("Ada")).AddTo("calls", 2))
	got := mustGet(t, s, k)
	if str(got, "name") != "Ada" || intAttr(t, got, "calls") != 2 || store.Version(got) != 1 {
		t.Fatalf("upsert gave %v", got)
	}
	mustWrite(t, s, store.Op{Kind: store.OpUpdate, Key: k,
		Set:    store.Item{"city": store.S("Berlin")},
		Remove: []string{"name"},
		Add:    []store.Add{{Attr: "calls", Delta: -5}}})
	got = mustGet(t, s, k)
	if got["name"] != nil || str(got, "city") != "Berlin" || intAttr(t, got, "calls") != -3 {
		t.Fatalf("update gave %v", got)
	}
	if store.Version(got) != 2 {
		t.Fatalf("version %d, want 2", store.Version(got))
	}
	// Removing an attribute that is not there is harmless.
	mustWrite(t, s, store.Op{Kind: store.OpUpdate, Key: k, Remove: []string{"nothing"}})
}

func testAddLowerBound(t *testing.T, h Harness, _ *Clock) {
	s := h.Store
	ctx := ctxFor(t)
	k := store.Key{PK: "ACCOUNT#1", SK: "BALANCE"}
	// A missing attribute counts as 0: going below the floor fails.
	wantConflict(t, s.Write(ctx, store.Update(k).AddAtLeast("cents", -1, 0)), 0)
	wantNotFound(t, s, k)
	mustWrite(t, s, store.Update(k).AddAtLeast("cents", 500, 0))
	mustWrite(t, s, store.Update(k).AddAtLeast("cents", -300, 0))
	wantConflict(t, s.Write(ctx, store.Update(k).AddAtLeast("cents", -201, 0)), 0)
	mustWrite(t, s, store.Update(k).AddAtLeast("cents", -200, 0)) // exactly the floor is allowed
	if n := intAttr(t, mustGet(t, s, k), "cents"); n != 0 {
		t.Fatalf("balance %d, want 0", n)
	}
	// A negative floor (credit line) and a bound inside a transaction.
	mustWrite(t, s, store.Update(k).AddAtLeast("cents", -1000, -1000))
	err := s.Write(ctx,
		store.Put(item("ACCOUNT#1", "CALL#1", "cost", 1)),
		store.Update(k).AddAtLeast("cents", -1, -1000),
	)
	wantConflict(t, err, 1)
	wantNotFound(t, s, store.Key{PK: "ACCOUNT#1", SK: "CALL#1"})
	if n := intAttr(t, mustGet(t, s, k), "cents"); n != -1000 {
		t.Fatalf("balance %d, want -1000", n)
	}
	// A positive floor on a missing attribute with enough delta.
	k2 := store.Key{PK: "ACCOUNT#1", SK: "MINUTES"}
	mustWrite(t, s, store.Update(k2).AddAtLeast("landline", 50, 10))
	wantConflict(t, s.Write(ctx, store.Update(k2).AddAtLeast("landline", -41, 10)), 0)
	mustWrite(t, s, store.Update(k2).AddAtLeast("landline", -40, 10))
}
