package users_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api/apitest"
	"github.com/switchboard/switchboard/functions/users"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// putCall writes a call record as the fleet does when a call ends.
func putCall(t *testing.T, st store.Store, acct string, start time.Time, id, direction, from, to string, answered bool, users ...string) model.Call {
	t.Helper()
	k := model.CallKey(acct, start, id)
	c := model.Call{PK: k.PK, SK: k.SK, Type: model.TypeCall, ID: id, Account: acct, Direction: direction, From: from, To: to,
		Users: users, Start: start, End: start.Add(time.Minute), Status: 487, Cause: "cancel"}
	if answered {
		a := start.Add(5 * time.Second)
		c.Answer, c.Status, c.Cause = &a, 200, "normalClearing"
	}
	item, err := store.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(context.Background(), store.Put(item)); err != nil {
		t.Fatal(err)
	}
	return c
}

type historyList struct {
	Items []account.HistoryEntry `json:"items"`
	Next  string                 `json:"next"`
}

func TestHistoryAPI(t *testing.T) {
	for _, b := range apitest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := b.Start(t, users.Register, accounts.Register)
			historyAPI(t, a, &server{t: t, url: a.URL, outbox: a.Outbox})
		})
	}
}

func historyAPI(t *testing.T, a *apitest.Server, s *server) {
	admin, acct, _ := s.signup("ada@acme.example")
	if st := s.call("POST", "/v1/users", admin, map[string]any{"name": "Bob", "email": "bob@acme.example"}, nil); st != http.StatusCreated {
		t.Fatalf("create user: %d", st)
	}
	bob := s.login("bob@acme.example")
	otherAdmin, otherAcct, _ := s.signup("eve@other.example")
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := putCall(t, a.Store, acct, base, "k1", "in", "492111234567", "4930123456", true, "w0", "w1")
	missed := putCall(t, a.Store, acct, base.Add(time.Hour), "k2", "in", "=HYPERLINK(\"x\")", "4930123456", false, "w1")
	out := putCall(t, a.Store, acct, base.Add(2*time.Hour), "k3", "out", "10", "492111234567", true, "w0")
	foreign := putCall(t, a.Store, otherAcct, base, "k9", "in", "492111234567", "4940123456", true, "w0")
	id := account.HistoryID

	list := func(token, query string) historyList {
		t.Helper()
		var l historyList
		if st := s.call("GET", "/v1/history"+query, token, nil, &l); st != http.StatusOK {
			t.Fatalf("GET /v1/history%s: %d", query, st)
		}
		return l
	}
	idsOf := func(l historyList) []string {
		var out []string
		for _, e := range l.Items {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"admin", admin, "", []string{id(out), id(missed), id(in)}},
		{"user", bob, "", []string{id(missed), id(in)}},
		{"direction", admin, "?direction=out", []string{id(out)}},
		{"status", bob, "?status=answered", []string{id(in)}},
		{"range", admin, "?from=" + url.QueryEscape(base.Add(30*time.Minute).Format(time.RFC3339)) + "&to=" + url.QueryEscape(base.Add(90*time.Minute).Format(time.RFC3339)), []string{id(missed)}},
		{"number", admin, "?number=" + url.QueryEscape("+49 211 1234567"), []string{id(out), id(in)}},
		{"user filter", admin, "?user=w1", []string{id(missed), id(in)}},
		{"other account", otherAdmin, "", []string{id(foreign)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := idsOf(list(tc.token, tc.query)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Pages of one.
	l := list(admin, "?limit=1")
	l2 := list(admin, "?limit=1&cursor="+url.QueryEscape(l.Next))
	if len(l.Items) != 1 || l.Next == "" || len(l2.Items) != 1 || l2.Items[0].ID != id(missed) {
		t.Fatalf("pages %+v %+v", l, l2)
	}

	// Problems name the query fields.
	for _, tc := range []struct {
		token, query, loc string
		status            int
	}{
		{admin, "?direction=up", "query.direction", http.StatusUnprocessableEntity},
		{admin, "?status=x", "query.status", http.StatusUnprocessableEntity},
		{admin, "?number=abc", "query.number", http.StatusUnprocessableEntity},
		{admin, "?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "query.from", http.StatusUnprocessableEntity},
		{bob, "?user=w0", "query.user", http.StatusForbidden},
		{admin, "?cursor=nope", "query.cursor", http.StatusUnprocessableEntity},
	} {
		var p problem
		if st := s.call("GET", "/v1/history"+tc.query, tc.token, nil, &p); st != tc.status || !slices.ContainsFunc(p.Errors, func(e struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		}) bool {
			return e.Location == tc.loc
		}) {
			t.Errorf("%s: %d %+v, want %d naming %s", tc.query, st, p, tc.status, tc.loc)
		}
	}

	// Flags, archive, delete.
	var e account.HistoryEntry
	if st := s.call("PATCH", "/v1/history/"+id(missed), bob, map[string]any{"read": true, "starred": true, "note": "call back"}, &e); st != http.StatusOK ||
		!e.Read || !e.Starred || e.Note != "call back" {
		t.Fatalf("flag: %d %+v", st, e)
	}
	if st := s.call("PATCH", "/v1/history/"+id(in), bob, map[string]any{"archived": true}, nil); st != http.StatusOK {
		t.Fatalf("archive: %d", st)
	}
	if got := idsOf(list(bob, "")); !slices.Equal(got, []string{id(missed)}) {
		t.Fatalf("after archive %v", got)
	}
	if got := idsOf(list(bob, "?archived=true")); !slices.Equal(got, []string{id(in)}) {
		t.Fatalf("archived %v", got)
	}
	if st := s.call("PATCH", "/v1/history/"+id(out), bob, map[string]any{"read": true}, nil); st != http.StatusNotFound {
		t.Fatalf("user flags a call that did not reach them: %d", st)
	}
	if st := s.call("DELETE", "/v1/history/"+id(missed), bob, nil, nil); st != http.StatusNoContent {
		t.Fatalf("user delete: %d", st)
	}
	if got := idsOf(list(admin, "")); !slices.Contains(got, id(missed)) {
		t.Fatalf("a user's delete removed the record: %v", got)
	}
	if st := s.call("DELETE", "/v1/history/"+id(out), admin, nil, nil); st != http.StatusNoContent {
		t.Fatalf("admin delete: %d", st)
	}
	if got := idsOf(list(admin, "")); slices.Contains(got, id(out)) {
		t.Fatalf("admin delete left the record: %v", got)
	}

	// Isolation: another account's entry id is unknown here, and this
	// account's is unknown there.
	for _, tc := range []struct{ method, path, token string }{
		{"PATCH", "/v1/history/" + id(foreign), admin},
		{"DELETE", "/v1/history/" + id(foreign), admin},
		{"PATCH", "/v1/history/" + id(in), otherAdmin},
		{"DELETE", "/v1/history/" + id(in), otherAdmin},
		{"DELETE", "/v1/history/not-an-id", admin},
	} {
		var body any
		if tc.method == "PATCH" {
			body = map[string]any{"read": true}
		}
		if st := s.call(tc.method, tc.path, tc.token, body, nil); st != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", tc.method, tc.path, st)
		}
	}

	// CSV export: same filters, a header row, formulas defused.
	req, _ := http.NewRequest("GET", a.URL+"/v1/history.csv?direction=in", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, raw)
	}
	if len(rows) != 3 || rows[0][0] != "id" || rows[1][0] != id(missed) || rows[1][5] != `'=HYPERLINK("x")` || rows[2][0] != id(in) {
		t.Fatalf("export rows %q", rows)
	}
	if !strings.Contains(string(raw), "\r\n") {
		t.Fatal("export lines do not end in CRLF")
	}
}
