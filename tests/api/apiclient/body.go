package apiclient

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// Gen makes plausible valid request bodies from a schema: the required
// properties (and the optional ones Optional admits), with values that
// satisfy the schema's type, enum, format, length and range. Hint supplies
// the values only the caller knows (an extension still free, a number of
// the account, a user id).
type Gen struct {
	Doc      *Document
	Hint     func(path string, s *Schema) (any, bool)
	Optional func(path string, s *Schema) bool
}

var seq atomic.Int64

// Unique returns a number no earlier call returned, for e-mail addresses and
// names.
func Unique() int64 { return seq.Add(1) }

// Value returns a valid value of s; path names it like the API's error
// locations do without their "body." prefix ("route.kind", "devices[0]").
func (g *Gen) Value(path string, s *Schema) any {
	s = g.Doc.Resolve(s)
	if s == nil {
		return nil
	}
	if g.Hint != nil {
		if v, ok := g.Hint(path, s); ok {
			return v
		}
	}
	for _, e := range s.Enum {
		if e != nil {
			return e
		}
	}
	switch s.TypeName() {
	case "object":
		out := map[string]any{}
		for _, name := range s.PropertyNames() {
			p := Join(path, name)
			if s.IsRequired(name) || g.Optional != nil && g.Optional(p, g.Doc.Resolve(s.Properties[name])) {
				out[name] = g.Value(p, s.Properties[name])
			}
		}
		return out
	case "array":
		n := 0
		if s.MinItems != nil {
			n = *s.MinItems
		}
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			out = append(out, g.Value(fmt.Sprintf("%s[%d]", path, i), s.Items))
		}
		return out
	case "boolean":
		return false
	case "integer", "number":
		switch {
		case s.Default != nil:
			return s.Default
		case s.Minimum != nil:
			return int64(*s.Minimum)
		}
		return 0
	case "string":
		return g.text(path, s)
	}
	return nil
}

func (g *Gen) text(path string, s *Schema) string {
	n := Unique()
	var v string
	switch {
	case s.Format == "email":
		return fmt.Sprintf("gen%d@example.com", n)
	case s.Format == "date-time":
		return "2030-01-01T00:00:00Z"
	case s.Format == "uri":
		return "https://example.com/" + strconv.FormatInt(n, 10)
	case strings.Contains(s.Pattern, "[0-9]"):
		v = strconv.FormatInt(100+n%800, 10)
	default:
		v = "Test " + Last(path) + " " + strconv.FormatInt(n, 10)
	}
	if s.MinLength != nil && len(v) < *s.MinLength {
		v += strings.Repeat("x", *s.MinLength-len(v))
	}
	if s.MaxLength != nil && len(v) > *s.MaxLength {
		v = v[:*s.MaxLength]
	}
	return v
}

// Join appends a property name to a path.
func Join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Last returns the last property name of a path ("devices[0].name" ->
// "name", "members[0]" -> "members").
func Last(path string) string {
	for strings.HasSuffix(path, "]") {
		path = path[:strings.LastIndexByte(path, '[')]
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Parent returns a path without its last step ("route.kind" -> "route",
// "devices[0].name" -> "devices[0]", "members[0]" -> "members").
func Parent(path string) string {
	if strings.HasSuffix(path, "]") {
		return path[:strings.LastIndexByte(path, '[')]
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// segments splits "a.b[0].c" into "a", "b", 0, "c".
func segments(path string) []any {
	var out []any
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, name)
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			i, _ := strconv.Atoi(idx)
			out = append(out, i)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

// Clone deep-copies a decoded JSON value.
func Clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = Clone(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Clone(e)
		}
		return out
	}
	return v
}

// Get returns the value at path and whether it is there.
func Get(v any, path string) (any, bool) {
	for _, seg := range segments(path) {
		switch s := seg.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				return nil, false
			}
			v = a[s]
		}
	}
	return v, true
}

// With returns a copy of body with the value at path set, creating the
// objects and array elements on the way.
func With(body any, path string, value any) any {
	return set(Clone(body), segments(path), value)
}

func set(v any, segs []any, value any) any {
	if len(segs) == 0 {
		return value
	}
	switch s := segs[0].(type) {
	case string:
		m, ok := v.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		m[s] = set(m[s], segs[1:], value)
		return m
	case int:
		a, _ := v.([]any)
		for len(a) <= s {
			a = append(a, map[string]any{})
		}
		a[s] = set(a[s], segs[1:], value)
		return a
	}
	return v
}

// Without returns a copy of body without the property at path.
func Without(body any, path string) any {
	out := Clone(body)
	parent, _ := Get(out, Parent(path))
	if Parent(path) == "" {
		parent = out
	}
	if m, ok := parent.(map[string]any); ok {
		delete(m, Last(path))
	}
	return out
}

// PhoneLike says whether a string property holds a telephone number, by
// its name or its description.
func PhoneLike(path string, s *Schema) bool {
	name := strings.ToLower(Last(path))
	desc := strings.ToLower(s.Description)
	return s.TypeName() == "string" && (strings.Contains(name, "number") || strings.Contains(name, "phone") || name == "e164" ||
		strings.Contains(desc, "e.164") || strings.Contains(desc, "telephone number"))
}
