package groups_test

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api/apitest"
	"github.com/switchboard/switchboard/functions/groups"
	"github.com/switchboard/switchboard/functions/numbers"
)

func TestMain(m *testing.M) { os.Exit(apitest.Main(m)) }

func start(t *testing.T) *apitest.Server {
	return apitest.Start(t, accounts.Register, groups.Register, numbers.Register)
}

// TestGroupLifecycle runs on both store adapters: the embedded file and
// DynamoDB Local.
func TestGroupLifecycle(t *testing.T) {
	for _, b := range apitest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			groupLifecycle(t, b.Start(t, accounts.Register, groups.Register, numbers.Register))
		})
	}
}

func groupLifecycle(t *testing.T, s *apitest.Server) {
	a := s.SignUp(t, "Acme", "ada@acme.example")
	num := a.Numbers[0]
	r := s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "Sales", "extension": "20", "members": []string{"w0"}, "number": num}, a.Token)
	if r.Status != http.StatusCreated || r.Body["id"] != "g0" {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	if ns := r.Body["numbers"].([]any); len(ns) != 1 || ns[0] != num {
		t.Fatalf("group numbers %v", ns)
	}
	// The number now routes to the group, and the extension is in use.
	r = s.Do(t, http.MethodGet, "/v1/numbers/"+url.PathEscape(num), nil, a.Token)
	route := r.Body["route"].(map[string]any)
	if r.Status != 200 || route["kind"] != "group" || route["target"] != "g0" {
		t.Fatalf("number: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodGet, "/v1/extensions", nil, a.Token)
	if items := r.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["extension"] != "20" || items[0].(map[string]any)["kind"] != "group" {
		t.Fatalf("extensions %s", r.Raw)
	}
	// Taken extension and number: conflicts naming the field, nothing written.
	r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "Support", "extension": "20"}, a.Token)
	if r.Status != http.StatusConflict || !slices.Contains(r.Locations(), "body.extension") {
		t.Fatalf("duplicate extension: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "Support", "number": num}, a.Token)
	if r.Status != http.StatusConflict || !slices.Contains(r.Locations(), "body.number") {
		t.Fatalf("duplicate number: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "Support", "members": []string{"w0", "w7"}}, a.Token)
	if r.Status != http.StatusUnprocessableEntity || !slices.Contains(r.Locations(), "body.members[1]") {
		t.Fatalf("unknown member: %d %s", r.Status, r.Raw)
	}
	if r = s.Do(t, http.MethodGet, "/v1/groups", nil, a.Token); len(r.Body["items"].([]any)) != 1 {
		t.Fatalf("failed creates left groups: %s", r.Raw)
	}
	if r = s.Do(t, http.MethodGet, "/v1/account", nil, a.Token); r.Body["groups"].(float64) != 1 {
		t.Fatalf("group count %v", r.Body["groups"])
	}
	// Members: remove and add back; rename; change extension.
	r = s.Do(t, http.MethodDelete, "/v1/groups/g0/members/w0", nil, a.Token)
	if r.Status != 200 || len(r.Body["members"].([]any)) != 0 {
		t.Fatalf("remove member: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodPost, "/v1/groups/g0/members", map[string]any{"userId": "w0"}, a.Token)
	if r.Status != 200 || len(r.Body["members"].([]any)) != 1 {
		t.Fatalf("add member: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodPatch, "/v1/groups/g0", map[string]any{"name": "Vertrieb", "extension": "21"}, a.Token)
	if r.Status != 200 || r.Body["name"] != "Vertrieb" || r.Body["extension"] != "21" {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	// The old extension is free again: another group takes it.
	if r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "Support", "extension": "20"}, a.Token); r.Status != http.StatusCreated {
		t.Fatalf("reuse freed extension: %d %s", r.Status, r.Raw)
	}
	// Delete: the number becomes unassigned, the extension free.
	if r = s.Do(t, http.MethodDelete, "/v1/groups/g0", nil, a.Token); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodGet, "/v1/numbers/"+strings.TrimPrefix(num, "+"), nil, a.Token)
	if r.Body["route"].(map[string]any)["kind"] != "none" {
		t.Fatalf("number after group delete: %s", r.Raw)
	}
	if r = s.Do(t, http.MethodGet, "/v1/groups/g0", nil, a.Token); r.Status != http.StatusNotFound {
		t.Fatalf("deleted group: %d", r.Status)
	}
}

func TestGroupPlanLimit(t *testing.T) {
	s := start(t)
	r := s.Do(t, http.MethodPost, "/v1/accounts", map[string]any{"company": "Tiny", "name": "T", "email": "t@tiny.example", "password": "correct horse battery", "plan": "team-3"}, "")
	token := r.Body["session"].(map[string]any)["token"].(string)
	for i := 0; i < 3; i++ {
		if r := s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "G"}, token); r.Status != http.StatusCreated {
			t.Fatalf("group %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "G"}, token)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body["detail"].(string), "3 groups") {
		t.Fatalf("4th group on team-3: %d %s", r.Status, r.Raw)
	}
	// An upgrade makes room; a downgrade below the groups in use is refused.
	if r = s.Do(t, http.MethodPatch, "/v1/account", map[string]any{"plan": "team-10"}, token); r.Status != 200 {
		t.Fatalf("upgrade: %d %s", r.Status, r.Raw)
	}
	if r = s.Do(t, http.MethodPost, "/v1/groups", map[string]any{"name": "G"}, token); r.Status != http.StatusCreated {
		t.Fatalf("4th group on team-10: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, http.MethodPatch, "/v1/account", map[string]any{"plan": "team-3"}, token)
	if r.Status != http.StatusConflict || !slices.Contains(r.Locations(), "body.plan") {
		t.Fatalf("downgrade below use: %d %s", r.Status, r.Raw)
	}
	if r = s.Do(t, http.MethodGet, "/v1/account", nil, token); r.Body["plan"].(map[string]any)["id"] != "team-10" {
		t.Fatalf("plan after refused downgrade: %s", r.Raw)
	}
}

func TestRouting(t *testing.T) {
	s := start(t)
	a := s.SignUp(t, "Acme", "ada@acme.example")
	num := a.Numbers[1]
	cases := []struct {
		name   string
		route  map[string]any
		status int
		loc    string
	}{
		{"to the admin", map[string]any{"kind": "user", "target": "w0"}, 200, ""},
		{"to nobody", map[string]any{"kind": "none"}, 200, ""},
		{"unknown user", map[string]any{"kind": "user", "target": "w9"}, 422, "body.route.target"},
		{"unknown group", map[string]any{"kind": "group", "target": "g9"}, 422, "body.route.target"},
		{"unknown device", map[string]any{"kind": "device", "target": a.ID + "e9"}, 422, "body.route.target"},
		{"bad kind", map[string]any{"kind": "fax-machine"}, 422, "body.route.kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, http.MethodPatch, "/v1/numbers/"+url.PathEscape(num), map[string]any{"route": tc.route}, a.Token)
			if r.Status != tc.status || (tc.loc != "" && !slices.Contains(r.Locations(), tc.loc)) {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
	if r := s.Do(t, http.MethodGet, "/v1/numbers/+4930999999", nil, a.Token); r.Status != http.StatusNotFound {
		t.Fatalf("foreign number: %d", r.Status)
	}
	if r := s.Do(t, http.MethodGet, "/v1/numbers/garbage", nil, a.Token); r.Status != http.StatusNotFound {
		t.Fatalf("garbage number: %d", r.Status)
	}
}
