package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/functions/gateway"
)

// testGrants checks the IAM policies: every function reads and writes the
// table, and bucket access is exactly as narrow as each function needs.
func (s synthesized) testGrants(t *testing.T) {
	table := s.logicalID(t, "AWS::DynamoDB::Table", nil)
	for _, name := range gateway.Names() {
		t.Run(name+" table", func(t *testing.T) {
			stmts := s.policyStatements(t, name)
			for _, action := range []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"} {
				if !allows(stmts, action, table) {
					t.Errorf("function %s may not %s on the table", name, action)
				}
			}
		})
	}
	cases := []struct {
		function string
		bucket   string
		allowed  []string
		denied   []string
	}{
		{"exports", "Exports", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, nil},
		{"billing", "Exports", []string{"s3:GetObject"}, []string{"s3:PutObject", "s3:DeleteObject"}},
		{"verification", "Documents", []string{"s3:GetObject", "s3:PutObject"}, nil},
		{"users", "Recordings", []string{"s3:GetObject", "s3:DeleteObject"}, []string{"s3:PutObject"}},
		{"accounts", "Exports", nil, []string{"s3:GetObject", "s3:PutObject"}},
		{"accounts", "Recordings", nil, []string{"s3:GetObject", "s3:PutObject"}},
		{"accounts", "Documents", nil, []string{"s3:GetObject", "s3:PutObject"}},
		{"streamsync", "Recordings", nil, []string{"s3:GetObject", "s3:PutObject"}},
	}
	for _, tc := range cases {
		t.Run(tc.function+" "+tc.bucket, func(t *testing.T) {
			stmts := s.policyStatements(t, tc.function)
			bucket := s.logicalID(t, "AWS::S3::Bucket", func(id string, _ resource) bool { return strings.HasPrefix(id, tc.bucket) })
			for _, action := range tc.allowed {
				if !allows(stmts, action, bucket) {
					t.Errorf("function %s may not %s on bucket %s", tc.function, action, tc.bucket)
				}
			}
			for _, action := range tc.denied {
				if allows(stmts, action, bucket) {
					t.Errorf("function %s may %s on bucket %s", tc.function, action, tc.bucket)
				}
			}
		})
	}
}

// statement is one IAM policy statement.
type statement struct {
	Effect   string `json:"Effect"`
	Action   any    `json:"Action"`
	Resource any    `json:"Resource"`
}

// policyStatements returns the statements of the policies attached to the
// named function's role.
func (s synthesized) policyStatements(t *testing.T, name string) []statement {
	t.Helper()
	fn := s.resources[s.functionID(t, name)]
	role, ok := fn.Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)
	if !ok || len(role) == 0 {
		t.Fatalf("function %s: no role reference in %v", name, fn.Properties["Role"])
	}
	var out []statement
	for _, r := range s.resources {
		if r.Type != "AWS::IAM::Policy" || !refersTo(r.Properties["Roles"], role[0].(string)) {
			continue
		}
		out = append(out, decodeStatements(t, r.Properties["PolicyDocument"])...)
	}
	return out
}

// decodeStatements returns the statements of a policy document.
func decodeStatements(t *testing.T, doc any) []statement {
	t.Helper()
	raw, err := json.Marshal(doc.(map[string]any)["Statement"])
	if err != nil {
		t.Fatal(err)
	}
	var stmts []statement
	if err := json.Unmarshal(raw, &stmts); err != nil {
		t.Fatalf("decode policy: %v", err)
	}
	return stmts
}

// allows reports whether an Allow statement grants action (matching IAM's
// trailing-* patterns) on a resource that refers to logicalID.
func allows(stmts []statement, action, logicalID string) bool {
	for _, st := range stmts {
		if st.Effect != "Allow" || !refersTo(st.Resource, logicalID) {
			continue
		}
		for _, a := range actions(st.Action) {
			if a == action || (strings.HasSuffix(a, "*") && strings.HasPrefix(action, strings.TrimSuffix(a, "*"))) {
				return true
			}
		}
	}
	return false
}

// actions returns a statement's Action, which is a string or a list.
func actions(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
