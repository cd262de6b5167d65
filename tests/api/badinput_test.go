package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// badCase is one wrong request body and the property it is wrong in.
type badCase struct {
	name  string
	field string // the property the problem must name ("" for the body)
	body  any
	// semantic cases are found wrong by the domain (a taken extension, a
	// number of another account) rather than by the schema; they may
	// answer any 4xx, schema cases 400 or 422.
	semantic bool
}

// badInput holds what building bad bodies for one account needs.
type badInput struct {
	c      *apiclient.Client
	doc    *apiclient.Document
	f      *apiclient.Fixtures
	other  apiclient.Account // a second account, whose numbers are not the first's
	emails []string          // e-mail addresses of the sign-up bodies tried
	setup  string            // a welcome e-mail's one-time token, for the base body that sets a password
}

func TestBadInput(t *testing.T) {
	c, doc, stack := start(t)
	ctx := context.Background()
	f := build(t, c, doc, signUp(t, c, "Badin"), "BadInput", 2)
	bi := &badInput{c: c, doc: doc, f: f, other: signUp(t, c, "Other"), setup: setupToken(t, c, stack, f, len(f.IDs["userId"])-1)}
	before := snapshot(t, c, doc, f)

	type control struct {
		op   *apiclient.Operation
		path string
		body any
	}
	var controls []control
	for _, op := range doc.Operations() {
		s := doc.BodySchema(op)
		if !op.Writes() || s == nil {
			continue
		}
		t.Run(op.Key(), func(t *testing.T) {
			path, ok := fill(op, bi.pathIDs(op))
			if !ok {
				for _, p := range op.PathParams() {
					if why := unfixed[p]; why != "" {
						t.Skipf("no {%s} to put into %s: %s", p, op.Path, why)
					}
				}
				t.Fatalf("no id to put into %s (teach the fixtures its parameters)", op.Path)
			}
			base := bi.base(op, s)
			cred := ""
			if op.Secured() {
				cred = f.Account.Token
			}
			cases := bi.cases(op, s, base)
			t.Logf("%d bad bodies", len(cases))
			for _, tc := range cases {
				r, err := c.Do(ctx, op.Method, path, tc.body, cred)
				if err != nil {
					t.Fatal(err)
				}
				bi.check(t, tc, r)
			}
			controls = append(controls, control{op, path, base})
		})
	}
	t.Run("query parameters", func(t *testing.T) { badQueries(t, c, doc, f.Account.Token, bi.pathIDs(nil)) })
	compare(t, "the account after bad input", before, snapshot(t, c, doc, f))
	t.Run("failed sign-ups left no login", func(t *testing.T) {
		for _, email := range bi.emails {
			r, err := c.Do(ctx, "POST", "/v1/sessions", map[string]string{"email": email, "password": apiclient.Password}, "")
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != http.StatusUnauthorized {
				t.Errorf("log in as %s after failed sign-ups: %s, want 401", email, r)
			}
		}
	})
	// The base bodies must be valid, or the cases would test nothing: each
	// is sent once, after the comparison.
	t.Run("base bodies are valid", func(t *testing.T) {
		for _, ct := range controls {
			if ct.op.Key() == "POST /v1/sessions/setup" && bi.setup == "" {
				continue // no user to set a password for
			}
			cred := ""
			if ct.op.Secured() {
				cred = f.Account.Token
			}
			if _, err := c.Expect(ctx, ct.op.Method, ct.path, ct.body, cred); err != nil {
				t.Errorf("%s with its base body %s: %v", ct.op.Key(), apiclient.MarshalIndent(ct.body), err)
			}
		}
	})
}

var index = regexp.MustCompile(`\[\d+\]`)

// names says whether the problem names field: an error located at it (or
// inside it), an error at its parent whose message names it (a missing
// required property), or, for a conflict, the detail.
func names(p apiclient.Problem, field string) bool {
	want := "body"
	if field != "" {
		want += "." + index.ReplaceAllString(field, "[]")
	}
	parent := "body"
	if pp := apiclient.Parent(field); pp != "" {
		parent += "." + index.ReplaceAllString(pp, "[]")
	}
	last := apiclient.Last(field)
	for _, e := range p.Errors {
		loc := index.ReplaceAllString(e.Location, "[]")
		switch {
		case loc == want, strings.HasPrefix(loc, want+"."), strings.HasPrefix(loc, want+"[]"):
			return true
		case field != "" && loc == parent && strings.Contains(e.Message, "property "+last):
			return true
		}
	}
	return p.Status == http.StatusConflict && last != "" && strings.Contains(p.Detail, last)
}

// check wants a 4xx problem document naming the case's field.
func (bi *badInput) check(t *testing.T, tc badCase, r *apiclient.Response) {
	t.Helper()
	switch {
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusMethodNotAllowed:
		t.Errorf("%s: %s, want 400 or 422 about %s", tc.name, r, tc.field)
		return
	case tc.semantic && (r.Status < 400 || r.Status >= 500):
		t.Errorf("%s: %s, want a 4xx problem about %s", tc.name, r, tc.field)
		return
	case !tc.semantic && r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest:
		t.Errorf("%s: %s, want 400 or 422 about %s", tc.name, r, tc.field)
		return
	}
	p, ok := problem(t, r)
	if ok && !names(p, tc.field) {
		t.Errorf("%s: %s, want a problem naming body.%s", tc.name, r, tc.field)
	}
}

// pathIDs are the ids bad bodies are sent to: things of the account that
// exist, and a number no one routes to.
func (bi *badInput) pathIDs(op *apiclient.Operation) map[string]string {
	ids := map[string]string{}
	for p := range kinds {
		list := bi.f.IDs[p]
		switch {
		case p == "number" && len(bi.f.Account.Numbers) > 2:
			ids[p] = bi.f.Account.Numbers[2] // the fixtures route the first two
		case p == "userId" && len(list) > 1:
			ids[p] = list[1] // not the admin
		case len(list) > 0:
			ids[p] = list[0]
		}
	}
	return ids
}

// accountNumber says whether a property takes one of the account's own
// numbers (rather than any telephone number, as an external phone does).
func accountNumber(op *apiclient.Operation, path string, s *apiclient.Schema) bool {
	d := strings.ToLower(s.Description)
	if strings.Contains(d, "external") {
		return false
	}
	return apiclient.Last(path) == "number" && (strings.Contains(d, "account") || op.Path == "/v1/users" || op.Path == "/v1/groups") ||
		apiclient.Last(path) == "callerId"
}

// base is a valid body for op: required properties, names, a free
// extension, the account's unrouted number where one is required.
func (bi *badInput) base(op *apiclient.Operation, s *apiclient.Schema) any {
	f := bi.f
	users := f.IDs["userId"]
	g := &apiclient.Gen{Doc: bi.doc, Hint: func(path string, ps *apiclient.Schema) (any, bool) {
		switch name := apiclient.Last(path); {
		case op.Key() == "POST /v1/sessions/setup" && name == "token" && bi.setup != "":
			return bi.setup, true
		case op.Key() == "POST /v1/sessions" && name == "email":
			return f.Account.Email, true
		case op.Key() == "POST /v1/accounts" && name == "email":
			e := fmt.Sprintf("signup.%d@example.com", apiclient.Unique())
			bi.emails = append(bi.emails, e)
			return e, true
		case name == "userId" && len(users) > 0:
			return users[len(users)-1], true // a member of no fixture group when there are several users
		case name == "members" && len(users) > 0:
			return []any{users[0]}, true
		case name == "route":
			return map[string]any{"kind": "user", "target": first(users)}, true
		case accountNumber(op, path, ps) && len(f.Account.Numbers) > 3:
			return f.Account.Numbers[3], true
		}
		return f.Hint(path, ps)
	}, Optional: func(path string, _ *apiclient.Schema) bool { return path == "name" }}
	return g.Value("", s)
}
