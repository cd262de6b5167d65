package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

// How an operation without path parameters is checked for isolation. Such
// an operation acts on the caller's own account, so there is no foreign id
// to put into it; it is checked by other means.
const (
	wideRead   = "read"   // A's answer must hold nothing of B (the answer scan)
	wideCreate = "create" // A's fixtures are made with it between two snapshots of B
	wideWrite  = "write"  // called with A's credentials between two snapshots of B
	wideLogout = "logout" // ends only the caller's own session
)

// accountWide lists every secured operation without path parameters. A
// secured operation missing here fails the test: add it with the check
// that covers it.
var accountWide = map[string]string{
	"GET /v1/account":     wideRead,
	"PATCH /v1/account":   wideWrite,
	"GET /v1/audit":       wideRead,
	"DELETE /v1/sessions": wideLogout,
	"GET /v1/tokens":      wideRead,
	"POST /v1/tokens":     wideCreate,
	"GET /v1/users":       wideRead,
	"POST /v1/users":      wideCreate,
	"GET /v1/devices":     wideRead,
	"GET /v1/groups":      wideRead,
	"POST /v1/groups":     wideCreate,
	"GET /v1/numbers":     wideRead,
	"GET /v1/extensions":  wideRead,
	"GET /v1/contacts":    wideRead,
	"POST /v1/contacts":   wideCreate,

	"GET /v1/webhooks":                wideRead,
	"PUT /v1/webhooks":                wideWrite,
	"POST /v1/webhooks/secret/rotate": wideWrite,
	"POST /v1/webhooks/test":          wideCreate,
	"GET /v1/webhooks/deliveries":     wideRead,
	"GET /v1/history":                 wideRead,
	"GET /v1/history.csv":             wideRead,
}

// unfixed are the path parameters whose things the fixtures cannot make
// through the API, and why; their operations are tried when B has some.
var unfixed = map[string]string{
	"entryId": "history entries are call records, written by the fleet when a call ends",
}

// coverage returns why each operation of doc cannot be covered; empty
// when the tests know how to try every one.
func coverage(doc *apiclient.Document) []string {
	var out []string
	for _, op := range doc.Operations() {
		switch params := op.PathParams(); {
		case !op.Secured():
			if _, ok := public[op.Key()]; !ok {
				out = append(out, op.Key()+": needs no credentials and is not a known public operation (add it to public, or secure it)")
			}
		case len(params) == 0:
			if _, ok := accountWide[op.Key()]; !ok {
				out = append(out, op.Key()+": secured, without path parameters, and not in accountWide (add it with the check that covers it)")
			}
		default:
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, p := range params {
				if !declared[p] {
					out = append(out, fmt.Sprintf("%s: path parameter {%s} is not declared in the document, so the handler never reads it", op.Key(), p))
				}
				if !kinds[p] {
					out = append(out, fmt.Sprintf("%s: path parameter {%s} of unknown kind (teach kinds and apiclient.Fixtures about it)", op.Key(), p))
				}
			}
		}
	}
	return out
}

// tenants are two accounts with fixtures: A attacks, B is attacked. B has
// more of everything, so that B's short ids (w2, g2, c2) include some A
// does not have.
type tenants struct {
	c       *apiclient.Client
	doc     *apiclient.Document
	a, b    *apiclient.Fixtures
	foreign map[string][]string // B's ids A must not reach, by path parameter
	secrets []string            // strings of B that no answer to A may contain
	revoked string              // a revoked personal access token of A's
	member  string              // a session of a user of A's who is not an admin
	beforeB map[string]string   // B's state before A signed up
}

func setUp(t *testing.T, c *apiclient.Client, doc *apiclient.Document, s *harness.Stack) *tenants {
	ctx := context.Background()
	tn := &tenants{c: c, doc: doc}
	tn.b = build(t, c, doc, signUp(t, c, "Bravo"), "BravoSecret", 3)
	// B's state is read before A exists, and again at the end: A's
	// sign-up and fixtures, and everything A tries, must leave it as is.
	tn.beforeB = snapshot(t, c, doc, tn.b)
	tn.a = build(t, c, doc, signUp(t, c, "Alpha"), "AlphaOwn", 1)
	tn.foreign = map[string][]string{}
	for p := range kinds {
		own := map[string]bool{}
		for _, id := range tn.a.IDs[p] {
			own[id] = true
		}
		for _, id := range tn.b.IDs[p] {
			if !own[id] {
				tn.foreign[p] = append(tn.foreign[p], id)
			}
		}
		tn.foreign[p] = append(tn.foreign[p], tn.b.FullIDs[p]...)
	}
	// Numbers are also accepted as digits without the plus.
	for _, n := range tn.b.IDs["number"] {
		tn.foreign["number"] = append(tn.foreign["number"], strings.TrimPrefix(n, "+"))
	}
	// Account-wide B strings: its marker, account id and the globally
	// unique ids (numbers, devices, tokens, full user ids).
	tn.secrets = []string{"BravoSecret", "bravosecret", tn.b.Account.ID, tn.b.Account.Email}
	for _, p := range []string{"number", "deviceId", "tokenId"} {
		tn.secrets = append(tn.secrets, tn.b.IDs[p]...)
	}
	for _, ids := range tn.b.FullIDs {
		tn.secrets = append(tn.secrets, ids...)
	}
	for _, tok := range tn.b.Tokens {
		tn.secrets = append(tn.secrets, tok.Secret)
	}
	// A revoked token of A's, for the credentials that must not work.
	if tn.doc.Find("DELETE", "/v1/tokens/{tokenId}") != nil {
		tok, err := c.CreateToken(ctx, tn.a.Account.Token, "AlphaOwn revoked")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Expect(ctx, "DELETE", "/v1/tokens/"+tok.ID, nil, tn.a.Account.Token); err != nil {
			t.Fatal(err)
		}
		tn.revoked = tok.Secret
	}
	// A user of A's who is not an admin, logged in through the welcome
	// e-mail's link.
	if token := setupToken(t, c, s, tn.a, 1); token != "" {
		session, err := c.SetPassword(ctx, token, apiclient.Password)
		if err != nil {
			t.Fatal(err)
		}
		tn.member = session
	}
	return tn
}

// leaks returns the strings of B that an answer to A contains, but for
// those A's request itself carried (answers may echo the input).
func (tn *tenants) leaks(raw []byte, sent ...any) []string {
	echo := fmt.Sprint(sent...)
	var out []string
	for _, s := range tn.secrets {
		if s != "" && strings.Contains(string(raw), s) && !strings.Contains(echo, s) {
			out = append(out, s)
		}
	}
	return out
}

// body returns a plausible valid body for op as A would send it: required
// properties and a name, referring to A's own things.
func (tn *tenants) body(op *apiclient.Operation) any {
	s := tn.doc.BodySchema(op)
	if s == nil {
		return nil
	}
	a := tn.a
	g := &apiclient.Gen{Doc: tn.doc, Hint: func(path string, s *apiclient.Schema) (any, bool) {
		switch apiclient.Last(path) {
		case "userId":
			return first(a.IDs["userId"]), true
		case "members":
			return []any{first(a.IDs["userId"])}, true
		}
		return a.Hint(path, s)
	}, Optional: func(path string, _ *apiclient.Schema) bool { return path == "name" }}
	return g.Value("", s)
}

// known says whether the tests know every parameter's kind.
func known(params []string) bool {
	for _, p := range params {
		if !kinds[p] {
			return false
		}
	}
	return true
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// attempt is one call of A's with B's ids.
type attempt struct {
	op   *apiclient.Operation
	path string
}

// attempts lists, for every secured operation with path parameters, the
// paths that put B's ids into it: each parameter in turn takes each of B's
// ids while the others take A's own (or, without one, B's). Deletes come
// last, so a delete that wrongly succeeds does not hide other failures.
func (tn *tenants) attempts(t *testing.T) []attempt {
	var out []attempt
	for _, op := range tn.doc.Operations() {
		params := op.PathParams()
		if !op.Secured() || len(params) == 0 || !known(params) {
			continue // unknown parameters are reported by coverage
		}
		for _, p := range params {
			if len(tn.foreign[p]) == 0 && unfixed[p] != "" {
				continue
			}
			if len(tn.foreign[p]) == 0 {
				t.Errorf("%s: no ids of B for {%s} to try: the fixtures cannot create any", op.Key(), p)
				continue
			}
			for _, id := range tn.foreign[p] {
				values := map[string]string{p: id}
				for _, q := range params {
					if q == p {
						continue
					}
					if own := first(tn.a.IDs[q]); own != "" {
						values[q] = own
					} else {
						values[q] = first(tn.foreign[q])
					}
				}
				if path, ok := fill(op, values); ok {
					out = append(out, attempt{op: op, path: path})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].op.Method != "DELETE" && out[j].op.Method == "DELETE" })
	return out
}

func TestTenantIsolation(t *testing.T) {
	c, doc, s := start(t)
	for _, why := range coverage(doc) {
		t.Errorf("not covered: %s", why)
	}
	tn := setUp(t, c, doc, s)
	ctx := context.Background()
	beforeA := snapshot(t, tn.c, tn.doc, tn.a)
	creds := tn.credentials()

	t.Run("B's ids with A's credentials", func(t *testing.T) {
		ats := tn.attempts(t)
		t.Logf("%d calls with B's ids in the path, %d kinds of credentials", len(ats), len(creds))
		for i, at := range ats {
			cred := creds[i%len(creds)]
			r, err := tn.c.Do(ctx, at.op.Method, at.path, tn.body(at.op), cred)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
				t.Errorf("%s (%s): %s, want 404 or 403", at.op.Key(), strings.SplitN(apiclient.Auth(cred), " ", 2)[0], r)
				continue
			}
			problem(t, r)
			if l := tn.leaks(r.Raw, at.path); len(l) > 0 {
				t.Errorf("%s: answer names B's %q: %s", at.op.Key(), l, r)
			}
		}
	})

	t.Run("B's ids in A's bodies", func(t *testing.T) { tn.bodyReferences(t) })

	t.Run("B's cursors with A's credentials", func(t *testing.T) { tn.foreignCursors(t) })

	t.Run("A's answers hold nothing of B", func(t *testing.T) {
		for path, answer := range snapshot(t, tn.c, tn.doc, tn.a) {
			if l := tn.leaks([]byte(answer)); len(l) > 0 {
				t.Errorf("GET %s with A's credentials names B's %q: %s", path, l, short(answer))
			}
		}
		r, err := tn.c.Expect(ctx, "GET", "/v1/account", nil, tn.a.Account.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got := apiclient.Str(r.JSON, "id"); got != tn.a.Account.ID {
			t.Errorf("GET /v1/account with A's credentials: account %q, want A's %q", got, tn.a.Account.ID)
		}
	})

	t.Run("without or with bad credentials", func(t *testing.T) { tn.unauthenticated(t) })

	compare(t, "A after its failed attempts", beforeA, snapshot(t, tn.c, tn.doc, tn.a))

	t.Run("account-wide operations", func(t *testing.T) { tn.accountWide(t) })

	compare(t, "B after everything A did", tn.beforeB, snapshot(t, tn.c, tn.doc, tn.b))
}

// accountWide checks the secured operations without path parameters by
// the means accountWide names.
func (tn *tenants) accountWide(t *testing.T) {
	ctx := context.Background()
	for _, op := range tn.doc.Operations() {
		if !op.Secured() || len(op.PathParams()) > 0 {
			continue
		}
		switch accountWide[op.Key()] {
		case wideRead:
			r, err := tn.c.Expect(ctx, op.Method, op.Path, nil, tn.a.Account.Token)
			if err != nil {
				t.Errorf("%s with A's credentials: %v", op.Key(), err)
				continue
			}
			if l := tn.leaks(r.Raw); len(l) > 0 {
				t.Errorf("%s with A's credentials names B's %q", op.Key(), l)
			}
		case wideCreate:
			if !tn.a.Used[op.Key()] {
				t.Errorf("%s: listed as checked by A's fixtures, but apiclient.Fixtures.Build does not use it", op.Key())
			}
		case wideWrite:
			r, err := tn.c.Expect(ctx, op.Method, op.Path, tn.body(op), tn.a.Account.Token)
			if err != nil {
				t.Errorf("%s with A's credentials and a valid body: %v", op.Key(), err)
				continue
			}
			if l := tn.leaks(r.Raw); len(l) > 0 {
				t.Errorf("%s with A's credentials names B's %q", op.Key(), l)
			}
		case wideLogout:
			tn.logout(t, op)
		}
	}
}
