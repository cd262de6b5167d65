package account

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// putCall writes a call record as the fleet does when a call ends.
func (e *usersEnv) putCall(account string, start time.Time, id, direction, from, to string, answered bool, users ...string) model.Call {
	e.t.Helper()
	k := model.CallKey(account, start, id)
	c := model.Call{PK: k.PK, SK: k.SK, Type: model.TypeCall, ID: id, SIPCallID: id + "@pbx", Account: account, Direction: direction,
		From: from, To: to, Users: users, Start: start.UTC(), End: start.Add(90 * time.Second).UTC(), Status: 487, Cause: "cancel"}
	if answered {
		a := start.Add(10 * time.Second).UTC()
		c.Answer, c.Status, c.Cause = &a, 200, "normalClearing"
	}
	if err := e.db.Write(e.ctx, store.Put(mustMarshal(c))); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func ids(entries []HistoryEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

func TestHistory(t *testing.T) {
	e := newUsersEnv(t, "")
	bob := e.user("w1")
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := e.putCall(e.account, base, "k1", "in", "492111234567", "4930123456", true, "w0", "w1")
	missed := e.putCall(e.account, base.Add(time.Hour), "k2", "in", "491712345678", "4930123456", false, "w1")
	out := e.putCall(e.account, base.Add(2*time.Hour), "k3", "out", "10", "492111234567", true, "w0")
	internal := e.putCall(e.account, base.Add(3*time.Hour), "k4", "internal", "10", "11", false, "w0", "w1")
	other, otherAccount, _ := e.signup("owner@other.example", "")
	foreign := e.putCall(otherAccount, base, "k9", "in", "492111234567", "4940123456", true, "w0")

	list := func(p interface{}, f HistoryFilter) []string {
		t.Helper()
		got, next, err := e.svc.History(e.ctx, e.admin, f, "", 50)
		if pr, ok := p.(string); ok && pr == "bob" {
			got, next, err = e.svc.History(e.ctx, bob, f, "", 50)
		}
		if err != nil || next != "" {
			t.Fatalf("history %+v: %v next %q", f, err, next)
		}
		return ids(got)
	}
	id := HistoryID
	for _, tc := range []struct {
		name string
		who  string
		f    HistoryFilter
		want []string
	}{
		{"admin sees all, newest first", "admin", HistoryFilter{}, []string{id(internal), id(out), id(missed), id(in)}},
		{"user sees own", "bob", HistoryFilter{}, []string{id(internal), id(missed), id(in)}},
		{"direction", "admin", HistoryFilter{Direction: "in"}, []string{id(missed), id(in)}},
		{"answered", "admin", HistoryFilter{Status: "answered"}, []string{id(out), id(in)}},
		{"missed", "bob", HistoryFilter{Status: "missed"}, []string{id(internal), id(missed)}},
		{"date range", "admin", HistoryFilter{From: base.Add(time.Hour), To: base.Add(2 * time.Hour)}, []string{id(out), id(missed)}},
		{"user filter", "admin", HistoryFilter{User: "w1", Direction: "in"}, []string{id(missed), id(in)}},
		{"number in any format", "admin", HistoryFilter{Number: "0211 1234567"}, []string{id(out), id(in)}},
		{"number with plus", "bob", HistoryFilter{Number: "+49 171 2345678"}, []string{id(missed)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.who, tc.f); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := list("admin", HistoryFilter{}); slices.Contains(got, id(foreign)) {
		t.Fatal("another account's call listed")
	}

	// Pages: one entry at a time, in order, across the filter.
	var paged []string
	cursor := ""
	for i := 0; i < 10; i++ {
		got, next, err := e.svc.History(e.ctx, bob, HistoryFilter{}, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, ids(got)...)
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{id(internal), id(missed), id(in)}; !slices.Equal(paged, want) {
		t.Fatalf("pages %v, want %v", paged, want)
	}

	// Flags are per user; archive hides from the default list.
	got, err := e.svc.UpdateHistory(e.ctx, bob, id(missed), HistoryUpdate{Read: ptr(true), Starred: ptr(true), Note: ptr(" call back ")})
	if err != nil || !got.Read || !got.Starred || got.Note != "call back" || got.Status != "missed" {
		t.Fatalf("flag: %+v %v", got, err)
	}
	all, _, _ := e.svc.History(e.ctx, e.admin, HistoryFilter{Direction: "in"}, "", 50)
	if all[0].Read || all[0].Note != "" {
		t.Fatalf("bob's flags show for the admin: %+v", all[0])
	}
	if all[1].Status != "answered" || all[1].Duration != 80 {
		t.Fatalf("answered entry %+v", all[1])
	}
	if _, err := e.svc.UpdateHistory(e.ctx, bob, id(in), HistoryUpdate{Archived: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if got := list("bob", HistoryFilter{}); !slices.Equal(got, []string{id(internal), id(missed)}) {
		t.Fatalf("after archive %v", got)
	}
	if got := list("bob", HistoryFilter{Archived: true}); !slices.Equal(got, []string{id(in)}) {
		t.Fatalf("archived %v", got)
	}

	// A user's delete hides the entry for that user only; an admin's
	// removes the record.
	if err := e.svc.DeleteHistory(e.ctx, bob, id(internal)); err != nil {
		t.Fatal(err)
	}
	if got := list("bob", HistoryFilter{}); !slices.Equal(got, []string{id(missed)}) {
		t.Fatalf("after user delete %v", got)
	}
	if got := list("admin", HistoryFilter{}); !slices.Contains(got, id(internal)) {
		t.Fatal("a user's delete removed the record")
	}
	if err := e.svc.DeleteHistory(e.ctx, e.admin, id(out)); err != nil {
		t.Fatal(err)
	}
	if e.get(store.Key{PK: out.PK, SK: out.SK}, &model.Call{}) {
		t.Fatal("admin delete left the record")
	}

	for _, tc := range []struct {
		name  string
		err   error
		kind  Kind
		field string
	}{
		{"bad direction", func() error {
			_, _, err := e.svc.History(e.ctx, e.admin, HistoryFilter{Direction: "up"}, "", 10)
			return err
		}(), Invalid, "direction"},
		{"bad status", func() error {
			_, _, err := e.svc.History(e.ctx, e.admin, HistoryFilter{Status: "x"}, "", 10)
			return err
		}(), Invalid, "status"},
		{"bad number", func() error {
			_, _, err := e.svc.History(e.ctx, e.admin, HistoryFilter{Number: "abc"}, "", 10)
			return err
		}(), Invalid, "number"},
		{"from after to", func() error {
			_, _, err := e.svc.History(e.ctx, e.admin, HistoryFilter{From: base, To: base.Add(-time.Hour)}, "", 10)
			return err
		}(), Invalid, "from"},
		{"user names another user", func() error { _, _, err := e.svc.History(e.ctx, bob, HistoryFilter{User: "w0"}, "", 10); return err }(), Forbidden, "user"},
		{"bad cursor", func() error { _, _, err := e.svc.History(e.ctx, bob, HistoryFilter{}, "nope", 10); return err }(), Invalid, "cursor"},
		{"note too long", func() error {
			_, err := e.svc.UpdateHistory(e.ctx, bob, id(missed), HistoryUpdate{Note: ptr(strings.Repeat("x", 501))})
			return err
		}(), Invalid, "note"},
		{"user flags a call that did not reach them", func() error {
			_, err := e.svc.UpdateHistory(e.ctx, e.user("w2"), id(missed), HistoryUpdate{Read: ptr(true)})
			return err
		}(), NotFound, ""},
		{"another account's entry", func() error {
			_, err := e.svc.UpdateHistory(e.ctx, e.admin, id(foreign), HistoryUpdate{Read: ptr(true)})
			return err
		}(), NotFound, ""},
		{"another account deletes", e.svc.DeleteHistory(e.ctx, other, id(in)), NotFound, ""},
		{"not an entry id", e.svc.DeleteHistory(e.ctx, e.admin, "USER#w0"), NotFound, ""},
		{"deleted for the user", e.svc.DeleteHistory(e.ctx, bob, id(internal)), NotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantKind(t, tc.err, tc.kind, tc.field) })
	}
}

// An answered call's entry carries the relay's packet counts; a call
// without media has none.
func TestHistoryMedia(t *testing.T) {
	e := newUsersEnv(t, "")
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := e.putCall(e.account, base, "m1", "internal", "10", "11", true, "w0")
	c.Media = model.CallMedia{CallerIn: 500, CallerOut: 498, CalleeIn: 497, CalleeOut: 499, CallerLost: 1, CalleeLost: 2}
	if err := e.db.Write(e.ctx, store.Put(mustMarshal(c))); err != nil {
		t.Fatal(err)
	}
	e.putCall(e.account, base.Add(time.Minute), "m2", "internal", "10", "11", false, "w0")
	got, _, err := e.svc.History(e.ctx, e.admin, HistoryFilter{}, "", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("history: %v, %d entries", err, len(got))
	}
	want := HistoryMedia{CallerSent: 500, CallerReceived: 498, CalleeSent: 497, CalleeReceived: 499, CallerLost: 1, CalleeLost: 2}
	if got[0].Media != nil || got[1].Media == nil || *got[1].Media != want {
		t.Errorf("media %+v and %+v, want none and %+v", got[0].Media, got[1].Media, want)
	}
}
