package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// refs are the body properties that refer to an account's things, and the
// path parameter whose ids they take. A request of A's that names B's
// thing in its body must fail like one that names it in its path.
var refs = map[string]string{
	"userId": "userId", "members": "userId", "owner": "userId", "user": "userId",
	"groupId": "groupId", "groups": "groupId", "group": "groupId",
	"deviceId": "deviceId", "device": "deviceId", "devices": "deviceId",
	"contactId": "contactId",
	"callerId":  "number",
}

// property is one place in a request body.
type property struct {
	path   string
	schema *apiclient.Schema
}

// properties lists the writable properties of a body schema, depth first,
// array items as [0].
func properties(doc *apiclient.Document, s *apiclient.Schema, prefix string, depth int) []property {
	s = doc.Resolve(s)
	if s == nil || depth > 4 {
		return nil
	}
	var out []property
	for _, name := range s.PropertyNames() {
		ps := doc.Resolve(s.Properties[name])
		if ps == nil {
			continue
		}
		path := apiclient.Join(prefix, name)
		out = append(out, property{path, ps})
		switch ps.TypeName() {
		case "object":
			out = append(out, properties(doc, ps, path, depth+1)...)
		case "array":
			switch it := doc.Resolve(ps.Items); {
			case it == nil:
			case it.TypeName() == "object":
				out = append(out, properties(doc, it, path+"[0]", depth+1)...)
			default:
				out = append(out, property{path + "[0]", it})
			}
		}
	}
	return out
}

// reference is one body of A's that names one of B's things.
type reference struct {
	op   *apiclient.Operation
	path string
	what string
	body any
}

// references lists, for every secured create and update, bodies that put
// one of B's ids where the schema refers to an account's thing: the
// properties refs names (not an external phone's number, which may be any
// number), and a route's target for each kind of target.
func (tn *tenants) references() []reference {
	var out []reference
	for _, op := range tn.doc.Operations() {
		s := tn.doc.BodySchema(op)
		if !op.Secured() || !op.Writes() || s == nil {
			continue
		}
		path, ok := fill(op, tn.own())
		if !ok {
			continue
		}
		base := tn.body(op)
		for _, p := range properties(tn.doc, s, "", 0) {
			name := apiclient.Last(p.path)
			if strings.Contains(p.path, "[0]") {
				continue // inside a list of new things (a user's new devices): not a reference
			}
			if name == "route" || p.schema.Properties["kind"] != nil && p.schema.Properties["target"] != nil {
				for _, k := range []struct{ kind, param string }{{"user", "userId"}, {"device", "deviceId"}, {"group", "groupId"}} {
					for _, id := range tn.foreign[k.param] {
						out = append(out, reference{op, path, p.path + " to B's " + k.kind + " " + id,
							apiclient.With(base, p.path, map[string]any{"kind": k.kind, "target": id})})
					}
				}
				continue
			}
			param, ok := refs[name]
			if accountNumber(op, p.path, p.schema) {
				param, ok = "number", true
			}
			if !ok || strings.Contains(strings.ToLower(p.schema.Description), "external") || strings.Contains(p.path, ".") || !idLike(tn.doc, p.schema) {
				continue
			}
			for _, id := range tn.foreign[param] {
				var v any = id
				if p.schema.TypeName() == "array" {
					v = []any{id}
				}
				out = append(out, reference{op, path, p.path + " = B's " + id, apiclient.With(base, p.path, v)})
			}
		}
	}
	return out
}

// idLike says whether a property holds an id or a list of ids (a string,
// or a list of strings), not new things to create.
func idLike(doc *apiclient.Document, s *apiclient.Schema) bool {
	if s.TypeName() == "array" {
		it := doc.Resolve(s.Items)
		return it != nil && it.TypeName() == "string"
	}
	return s.TypeName() == "string"
}

// own is one of A's ids for every kind.
func (tn *tenants) own() map[string]string {
	out := map[string]string{}
	for p := range kinds {
		if id := first(tn.a.IDs[p]); id != "" {
			out[p] = id
		}
	}
	return out
}

// bodyReferences sends every reference body with A's credentials: each
// must fail with a 4xx problem (not 401: the credentials are good).
func (tn *tenants) bodyReferences(t *testing.T) {
	ctx := context.Background()
	refs := tn.references()
	t.Logf("%d calls with B's ids in the body", len(refs))
	for _, ref := range refs {
		r, err := tn.c.Do(ctx, ref.op.Method, ref.path, ref.body, tn.a.Account.Token)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status < 400 || r.Status >= 500 || r.Status == http.StatusUnauthorized {
			t.Errorf("%s with %s: %s, want a 4xx problem", ref.op.Key(), ref.what, r)
			continue
		}
		problem(t, r)
		if l := tn.leaks(r.Raw, ref.body); len(l) > 0 {
			t.Errorf("%s with %s: answer names B's %q: %s", ref.op.Key(), ref.what, l, r)
		}
	}
}
