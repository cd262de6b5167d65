package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// credentials are the ways A authenticates: the admin's session, a
// personal access token as bearer, the same token as Basic id:secret, and
// the session of a user who is not an admin.
func (tn *tenants) credentials() []string {
	creds := []string{tn.a.Account.Token}
	if tn.member != "" {
		creds = append(creds, tn.member)
	}
	if len(tn.a.Tokens) > 0 {
		tok := tn.a.Tokens[0]
		creds = append(creds, tok.Secret)
		if _, secret, ok := strings.Cut(strings.TrimPrefix(tok.Secret, "sbt_"+tok.ID), "_"); ok {
			creds = append(creds, apiclient.Basic(tok.ID, secret))
		}
	}
	return creds
}

// logout ends a spare session of A's and checks that it ends only that
// one.
func (tn *tenants) logout(t *testing.T, op *apiclient.Operation) {
	ctx := context.Background()
	spare, err := tn.c.Login(ctx, tn.a.Account.Email, tn.a.Account.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.c.Expect(ctx, op.Method, op.Path, nil, spare); err != nil {
		t.Fatalf("log out: %v", err)
	}
	if r, err := tn.c.Do(ctx, "GET", "/v1/account", nil, spare); err != nil || r.Status != http.StatusUnauthorized {
		t.Errorf("ended session still works: %v %v", r, err)
	}
	for who, cred := range map[string]string{"A": tn.a.Account.Token, "B": tn.b.Account.Token} {
		if _, err := tn.c.Expect(ctx, "GET", "/v1/account", nil, cred); err != nil {
			t.Errorf("%s's session after A's other session logged out: %v", who, err)
		}
	}
}

// unauthenticated tries every secured operation without credentials and
// with bad ones: each must answer 401 as a problem document.
func (tn *tenants) unauthenticated(t *testing.T) {
	ctx := context.Background()
	bad := map[string]string{
		"none":                  "",
		"garbage bearer":        "Bearer garbage",
		"well-formed session":   "Bearer sbs_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		"well-formed token":     "Bearer sbt_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		"empty bearer":          "Bearer ",
		"unknown scheme":        "Raw Token abc",
		"garbage basic":         "Raw Basic !!!notbase64",
		"basic, unknown token":  apiclient.Basic("aaaaaaaaaaaaaaaa", "bbbbbbbb"),
		"B's session truncated": "Bearer " + tn.b.Account.Token[:len(tn.b.Account.Token)-1],
	}
	if len(tn.a.Tokens) > 0 {
		bad["basic, A's token id, wrong secret"] = apiclient.Basic(tn.a.Tokens[0].ID, "wrong-secret")
		bad["A's token id as bearer"] = "Bearer " + tn.a.Tokens[0].ID
	}
	if tn.revoked != "" {
		bad["revoked token"] = tn.revoked
	}
	own := map[string]string{}
	for p := range kinds {
		if id := first(tn.a.IDs[p]); id != "" {
			own[p] = id
		} else {
			own[p] = "x"
		}
	}
	names := make([]string, 0, len(bad))
	for n := range bad {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, op := range tn.doc.Operations() {
		if !op.Secured() {
			continue
		}
		path, ok := fill(op, own)
		if !ok {
			continue // unknown parameters are reported by coverage
		}
		for _, name := range names {
			r, err := tn.c.Do(ctx, op.Method, path, tn.body(op), bad[name])
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s with credentials %q: %s, want 401", op.Key(), name, r)
				continue
			}
			problem(t, r)
		}
	}
}
