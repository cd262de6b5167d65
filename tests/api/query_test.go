package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// queryCase is one bad query parameter.
type queryCase struct {
	name, param, value string
}

// queryCases derives bad values of op's query parameters from their
// schemas: wrong types, values out of range, oversize strings, and a
// cursor that is not one.
func queryCases(doc *apiclient.Document, op *apiclient.Operation) []queryCase {
	var out []queryCase
	for _, p := range op.Parameters {
		s := doc.Resolve(p.Schema)
		if p.In != "query" || s == nil {
			continue
		}
		add := func(what, v string) { out = append(out, queryCase{p.Name + ": " + what, p.Name, v}) }
		switch s.TypeName() {
		case "integer", "number":
			add("not a number", "twelve")
			if s.Minimum != nil {
				add("below minimum", fmt.Sprint(*s.Minimum-1))
			}
			if s.Maximum != nil {
				add("above maximum", fmt.Sprint(*s.Maximum+1))
			}
		case "boolean":
			add("not a boolean", "maybe")
		case "string":
			if s.MaxLength != nil {
				add("too long", strings.Repeat("x", *s.MaxLength+1))
			}
			if len(s.Enum) > 0 {
				add("not in enum", "not-in-enum")
			}
		}
		if p.Name == "cursor" {
			add("not a cursor", "garbage")
			add("not a cursor, base64", "eyJQSyI6IkFDQ09VTlQjMSJ9")
		}
	}
	return out
}

// badQueries sends every operation's bad query parameters with cred (ids
// for path parameters from ids): each must answer a 400 or 422 problem
// naming the parameter.
func badQueries(t *testing.T, c *apiclient.Client, doc *apiclient.Document, cred string, ids map[string]string) {
	ctx := context.Background()
	for _, op := range doc.Operations() {
		path, ok := fill(op, ids)
		if !ok || op.Method != http.MethodGet {
			continue
		}
		for _, qc := range queryCases(doc, op) {
			r, err := c.Do(ctx, op.Method, path+"?"+url.Values{qc.param: {qc.value}}.Encode(), nil, cred)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s: %s, want 400 or 422", op.Key(), qc.name, r)
				continue
			}
			p, ok := problem(t, r)
			if !ok {
				continue
			}
			named := false
			for _, e := range p.Errors {
				switch e.Location {
				case "query." + qc.param:
					named = true
				case "body." + qc.param:
					// The domain's field errors are all placed in the
					// body; a query parameter's should say query.
					t.Logf("%s %s: the problem places query parameter %s at %s", op.Key(), qc.name, qc.param, e.Location)
					named = true
				}
			}
			if !named {
				t.Errorf("%s %s: %s, want a problem naming query.%s", op.Key(), qc.name, r, qc.param)
			}
		}
	}
}

// foreignCursors reads the first page of every list of B's that pages
// (limit 1) and sends its next-page cursor with A's credentials: a cursor
// of another account must be refused, never continue B's list.
func (tn *tenants) foreignCursors(t *testing.T) {
	ctx := context.Background()
	tried := 0
	for _, op := range tn.doc.Operations() {
		if op.Method != http.MethodGet || !op.Secured() || len(op.PathParams()) > 0 || !hasQuery(op, "cursor") || !hasQuery(op, "limit") {
			continue
		}
		r, err := tn.c.Expect(ctx, "GET", op.Path+"?limit=1", nil, tn.b.Account.Token)
		if err != nil {
			t.Fatal(err)
		}
		next := apiclient.Str(r.JSON, "next")
		if next == "" {
			continue // B's list has one page
		}
		tried++
		path := op.Path + "?" + url.Values{"cursor": {next}}.Encode()
		r, err = tn.c.Do(ctx, "GET", path, nil, tn.a.Account.Token)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s with B's cursor and A's credentials: %s, want a 4xx problem", op.Key(), r)
		}
		if l := tn.leaks(r.Raw); len(l) > 0 {
			t.Errorf("%s with B's cursor: answer names B's %q: %s", op.Key(), l, r)
		}
	}
	t.Logf("%d lists tried with B's cursors", tried)
}

func hasQuery(op *apiclient.Operation, name string) bool {
	for _, p := range op.Parameters {
		if p.In == "query" && p.Name == name {
			return true
		}
	}
	return false
}
