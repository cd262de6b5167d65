package main

import "testing"

// resource is one entry of a template's Resources section.
type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// logicalID returns the logical ID of the one resource of typ that match
// accepts (nil accepts all), failing the test unless exactly one does.
func (s synthesized) logicalID(t *testing.T, typ string, match func(string, resource) bool) string {
	t.Helper()
	var ids []string
	for id, r := range s.resources {
		if r.Type == typ && (match == nil || match(id, r)) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one matching %s, found %v", typ, ids)
	}
	return ids[0]
}

// functionID returns the logical ID of the named function, found by its
// description.
func (s synthesized) functionID(t *testing.T, name string) string {
	t.Helper()
	return s.logicalID(t, "AWS::Lambda::Function", func(_ string, r resource) bool {
		return r.Properties["Description"] == functionDescription(name)
	})
}

// refersTo reports whether v (any part of a template) contains a Ref or
// Fn::GetAtt to logicalID.
func refersTo(v any, logicalID string) bool {
	switch v := v.(type) {
	case map[string]any:
		if v["Ref"] == logicalID {
			return true
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) > 0 && att[0] == logicalID {
			return true
		}
		for _, e := range v {
			if refersTo(e, logicalID) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if refersTo(e, logicalID) {
				return true
			}
		}
	}
	return false
}
