package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

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

// propertyCases are the bad values of one property: absent when required,
// of the wrong type, out of range, too many items, and its string cases.
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
