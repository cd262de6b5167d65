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

// wrongType is a value of another JSON type than the schema's.
func wrongType(s *apiclient.Schema) any {
	switch s.TypeName() {
	case "string":
		return 12345
	case "integer", "number":
		return "twelve"
	case "boolean":
		return "yes"
	case "array":
		return "not-a-list"
	case "object":
		return "not-an-object"
	}
	return nil
}

// cases derives the bad bodies of op from its schema and the base body.
func (bi *badInput) cases(op *apiclient.Operation, s *apiclient.Schema, base any) []badCase {
	out := []badCase{
		{name: "array instead of object", field: "", body: apiclient.RawBody("[1,2]")},
		{name: "malformed JSON", field: "", body: apiclient.RawBody(`{"a":`)},
		{name: "unknown property", field: "unexpectedProperty", body: apiclient.With(base, "unexpectedProperty", "x")},
	}
	for _, p := range properties(bi.doc, s, "", 0) {
		out = append(out, bi.propertyCases(op, s, base, p)...)
	}
	return out
}

func (bi *badInput) propertyCases(op *apiclient.Operation, root *apiclient.Schema, base any, p property) []badCase {
	var out []badCase
	base = bi.withElements(root, base, p.path)
	add := func(name string, v any, semantic bool) {
		out = append(out, badCase{name: p.path + ": " + name, field: p.path, body: apiclient.With(base, p.path, v), semantic: semantic})
	}
	parentSchema := root
	if pp := apiclient.Parent(p.path); pp != "" {
		parentSchema = schemaAt(bi.doc, root, pp)
	}
	if _, present := apiclient.Get(base, p.path); present && parentSchema != nil && parentSchema.IsRequired(apiclient.Last(p.path)) {
		out = append(out, badCase{name: p.path + ": missing", field: p.path, body: apiclient.Without(base, p.path)})
	}
	s := p.schema
	if v := wrongType(s); v != nil {
		add("wrong type", v, false)
	}
	if s.TypeName() == "string" {
		out = append(out, bi.stringCases(op, p, base)...)
	}
	if s.TypeName() == "integer" || s.TypeName() == "number" {
		if s.Minimum != nil {
			add(fmt.Sprintf("below minimum %v", *s.Minimum), *s.Minimum-1, false)
		}
		if s.Maximum != nil {
			add(fmt.Sprintf("above maximum %v", *s.Maximum), *s.Maximum+1, false)
		}
	}
	if s.TypeName() == "array" && s.MaxItems != nil {
		g := &apiclient.Gen{Doc: bi.doc, Hint: bi.f.Hint}
		items := make([]any, *s.MaxItems+1)
		for i := range items {
			items[i] = g.Value(fmt.Sprintf("%s[%d]", p.path, i), s.Items)
		}
		add(fmt.Sprintf("more than %d items", *s.MaxItems), items, false)
	}
	return out
}

// stringCases are the bad values of a string property: too long, too
// short, outside its enum or pattern, not an e-mail address or telephone
// number, and taken extensions, numbers and addresses.
func (bi *badInput) stringCases(op *apiclient.Operation, p property, base any) []badCase {
	var out []badCase
	base = bi.withElements(nil, base, p.path)
	s, name := p.schema, apiclient.Last(p.path)
	add := func(what string, v any, semantic bool) {
		out = append(out, badCase{name: p.path + ": " + what, field: p.path, body: apiclient.With(base, p.path, v), semantic: semantic})
	}
	switch {
	case s.MaxLength != nil && s.Format == "email":
		add(fmt.Sprintf("longer than %d", *s.MaxLength), strings.Repeat("a", *s.MaxLength)+"@example.com", false)
	case s.MaxLength != nil:
		add(fmt.Sprintf("longer than %d", *s.MaxLength), strings.Repeat("7", *s.MaxLength+1), false)
	case len(s.Enum) == 0:
		// No bound in the document: 64 KiB must still be refused.
		add("64 KiB (no maxLength in the document)", strings.Repeat("x", 64<<10), true)
	}
	if freeText(p.path, s) {
		add("a NUL character", "bad\x00text", true)
	}
	if s.MinLength != nil && *s.MinLength > 0 {
		add(fmt.Sprintf("shorter than %d", *s.MinLength), strings.Repeat("x", *s.MinLength-1), false)
	}
	if len(s.Enum) > 0 {
		add("not in enum", "not-in-enum", false)
	}
	if s.Pattern != "" {
		add("not matching "+s.Pattern, "no!", false)
	}
	if s.Format == "email" || strings.EqualFold(name, "email") || name == "emails" {
		add("not an e-mail address", "not-an-email", s.Format != "email")
		add("no domain", "someone@", s.Format != "email")
		// A login e-mail address is unique across accounts, in any case
		// (a contact's addresses and a login attempt's are not logins).
		if name == "email" && op.Key() != "POST /v1/sessions" {
			add("e-mail address taken", bi.f.Account.Email, true)
			add("e-mail address taken, other case", strings.ToUpper(bi.f.Account.Email), true)
		}
	}
	if apiclient.PhoneLike(p.path, s) {
		for _, bad := range []string{"not-a-number", "+999123456789", "+4930", "+49 30 1234 5678 9999 9999"} {
			add("not a telephone number "+bad, bad, true)
		}
	}
	if accountNumber(op, p.path, s) && len(bi.f.Account.Numbers) > 1 {
		// The fixtures route the first number to the user the updates
		// change, the second to a group.
		add("a number routed elsewhere", bi.f.Account.Numbers[1], true)
		add("a number of another account", bi.other.Numbers[0], true)
		add("a number of no account", "+4930901820", true)
	}
	if name == "extension" {
		for _, bad := range []string{"0123", "1", "12345678", "112", "abc"} {
			add("invalid extension "+bad, bad, true)
		}
		if ext := bi.takenExtension(op); ext != "" {
			add("extension taken ("+ext+")", ext, true)
		}
	}
	return out
}

// freeText says whether a string property is text a person writes (a
// name, a company, an address), which must not carry control characters.
func freeText(path string, s *apiclient.Schema) bool {
	name := apiclient.Last(path)
	_, ref := refs[name]
	return s.Format == "" && len(s.Enum) == 0 && s.Pattern == "" && !apiclient.PhoneLike(path, s) && !ref &&
		!strings.Contains(path, "[") && name != "password" && name != "token" && name != "extension" && name != "target"
}

// takenExtension returns an extension in use by something other than the
// thing op changes.
func (bi *badInput) takenExtension(op *apiclient.Operation) string {
	r, err := bi.c.Expect(context.Background(), "GET", "/v1/extensions", nil, bi.f.Account.Token)
	if err != nil {
		return ""
	}
	self := bi.pathIDs(op)
	for _, it := range apiclient.Items(r.JSON) {
		owner := apiclient.Str(it, "owner")
		if owner != self["userId"] && owner != self["groupId"] {
			return apiclient.Str(it, "extension")
		}
	}
	return ""
}

// elements are valid list elements for the lists whose elements the
// generator cannot make valid by itself.
var elements = map[string]map[string]any{
	"devices":    {"kind": "external", "number": "+4915112345678", "name": "Mobile"},
	"forwarding": {"when": "always", "target": "+4915112345678"},
}

// withElements makes sure the list elements on path exist in body and are
// valid (a bad value inside an element must be the element's only fault).
func (bi *badInput) withElements(root *apiclient.Schema, body any, path string) any {
	i := strings.Index(path, "[0]")
	if i < 0 {
		return body
	}
	list := path[:i]
	if _, ok := apiclient.Get(body, list+"[0]"); ok {
		return body
	}
	if e, ok := elements[apiclient.Last(list)]; ok {
		return apiclient.With(body, list+"[0]", apiclient.Clone(e))
	}
	if root == nil {
		return body
	}
	arr := schemaAt(bi.doc, root, list)
	if arr == nil {
		return body
	}
	g := &apiclient.Gen{Doc: bi.doc, Hint: bi.f.Hint}
	return apiclient.With(body, list+"[0]", g.Value(list+"[0]", arr.Items))
}

// schemaAt returns the schema of the property at path.
func schemaAt(doc *apiclient.Document, root *apiclient.Schema, path string) *apiclient.Schema {
	for _, p := range properties(doc, root, "", 0) {
		if p.path == path {
			return p.schema
		}
	}
	if strings.HasSuffix(path, "]") {
		if arr := schemaAt(doc, root, apiclient.Parent(path)); arr != nil {
			return doc.Resolve(arr.Items)
		}
	}
	return nil
}
