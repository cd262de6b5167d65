// Package api tests Switchboard's /v1 API from the outside, over real HTTP
// against the local stack: tenant isolation and bad input, for every
// operation the OpenAPI document lists. The operations to try are derived
// from the document, so a new operation is covered as soon as it is
// served, or the tests fail and say what they cannot cover.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

// kinds are the path parameters the tests know how to fill: each takes the
// id of one kind of thing an account owns.
var kinds = map[string]bool{"userId": true, "deviceId": true, "groupId": true, "number": true, "contactId": true, "tokenId": true, "deliveryId": true, "entryId": true}

// public are the operations that need no credentials, and why.
var public = map[string]string{
	"POST /v1/accounts":       "sign-up creates a new account",
	"POST /v1/sessions":       "login with e-mail and password",
	"POST /v1/sessions/setup": "sets a password with the one-time token of a welcome e-mail",
}

// start runs a local stack and returns a client of it and its document.
func start(t *testing.T) (*apiclient.Client, *apiclient.Document, *harness.Stack) {
	t.Helper()
	s := harness.Start(t, harness.Options{})
	c := apiclient.New("http://" + s.HTTP)
	doc, err := c.ReadDocument(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c, doc, s
}

// setupToken returns the one-time token of the welcome e-mail of f's
// i-th user (in list order), or "" when that user is the admin or absent.
func setupToken(t *testing.T, c *apiclient.Client, s *harness.Stack, f *apiclient.Fixtures, i int) string {
	t.Helper()
	users := f.IDs["userId"]
	if i < 0 || len(users) <= i || users[i] == f.Account.AdminID {
		return ""
	}
	r, err := c.Expect(context.Background(), "GET", "/v1/users/"+url.PathEscape(users[i]), nil, f.Account.Token)
	if err != nil {
		t.Fatal(err)
	}
	token, err := apiclient.SetupToken(filepath.Join(s.Data, "outbox"), apiclient.Str(r.JSON, "email"))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// signUp creates an account or stops the test.
func signUp(t *testing.T, c *apiclient.Client, company string) apiclient.Account {
	t.Helper()
	a, err := c.SignUp(context.Background(), company, fmt.Sprintf("%s.%d@example.com", strings.ToLower(company), apiclient.Unique()))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// build creates an account's fixtures or stops the test.
func build(t *testing.T, c *apiclient.Client, doc *apiclient.Document, a apiclient.Account, marker string, n int) *apiclient.Fixtures {
	t.Helper()
	f, err := c.Build(context.Background(), doc, a, marker, n)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fill returns the path of op with every parameter taken from values
// (escaped); ok is false when a parameter has no value.
func fill(op *apiclient.Operation, values map[string]string) (string, bool) {
	esc := map[string]string{}
	for _, p := range op.PathParams() {
		v, ok := values[p]
		if !ok {
			return "", false
		}
		esc[p] = url.PathEscape(v)
	}
	return op.Fill(esc), true
}

// volatile are answer fields that change without anyone changing the
// account (the last use of the very credential that reads them).
var volatile = map[string]bool{"lastUsedAt": true, "lastUsed": true, "lastSeenAt": true}

// normalize drops volatile fields and "$schema" from a decoded answer.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if !volatile[k] && k != "$schema" {
				out[k] = normalize(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// snapshot reads everything an account's credentials can read: every
// secured GET operation, with every combination of the fixtures' ids for
// its path parameters. It is the state the tests compare before and after.
func snapshot(t *testing.T, c *apiclient.Client, doc *apiclient.Document, f *apiclient.Fixtures) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, op := range doc.Operations() {
		if op.Method != "GET" || !op.Secured() {
			continue
		}
		for _, values := range combinations(op.PathParams(), f.IDs) {
			path, ok := fill(op, values)
			if !ok {
				continue
			}
			r, err := c.Do(ctx, "GET", path, nil, f.Account.Token)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(normalize(r.JSON))
			out[path] = fmt.Sprintf("%d %s", r.Status, b)
		}
	}
	return out
}

// combinations lists every assignment of ids to params (one empty
// assignment when there are none); a parameter without ids gives none.
func combinations(params []string, ids map[string][]string) []map[string]string {
	out := []map[string]string{{}}
	for _, p := range params {
		var next []map[string]string
		for _, base := range out {
			for _, id := range ids[p] {
				m := map[string]string{p: id}
				for k, v := range base {
					m[k] = v
				}
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}

// compare reports every read whose answer changed.
func compare(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if before[k] != after[k] {
			t.Errorf("%s: GET %s changed:\n before: %s\n after:  %s", what, k, short(before[k]), short(after[k]))
		}
	}
}

func short(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "…"
	}
	return s
}

// problem checks that r is a problem document whose status field is the
// HTTP status, and returns it.
func problem(t *testing.T, r *apiclient.Response) (apiclient.Problem, bool) {
	t.Helper()
	p, ok := r.Problem()
	if !ok {
		t.Errorf("%s: %s, want an application/problem+json document", r, r.Header.Get("Content-Type"))
		return p, false
	}
	if p.Status != r.Status {
		t.Errorf("%s: problem status %d, HTTP status %d", r, p.Status, r.Status)
	}
	return p, true
}
