package apiclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Fixtures are the things of one account that tests call operations on,
// created through the API. IDs holds them by the name of the path
// parameter that takes them (userId, deviceId, groupId, number, contactId,
// tokenId, deliveryId), as the list operations show them after creation.
type Fixtures struct {
	Account Account
	Marker  string              // in every name and e-mail address the fixtures carry
	IDs     map[string][]string // by path parameter name
	FullIDs map[string][]string // account-wide ids where the API shows them (fullId)
	Tokens  []Token
	Used    map[string]bool // operations (Key) that built the fixtures
	ext     int
}

// Fixture kinds by the name of the path parameter that takes them; the
// list operation that shows them.
var lists = map[string]string{
	"userId":     "/v1/users",
	"groupId":    "/v1/groups",
	"contactId":  "/v1/contacts",
	"tokenId":    "/v1/tokens",
	"number":     "/v1/numbers",
	"deliveryId": "/v1/webhooks/deliveries",
	"entryId":    "/v1/history",
}

// Build creates n users (each with a phone when the API can), n groups
// with those users as members, n contacts and n personal access tokens
// for account a, routes one of its numbers to a user and one to a group,
// all through operations of d that exist; then it reads the ids back from
// the list operations. Names and e-mail addresses carry marker, so a test
// can tell the account's data from any other's in an answer.
func (c *Client) Build(ctx context.Context, d *Document, a Account, marker string, n int) (*Fixtures, error) {
	f := &Fixtures{Account: a, Marker: marker, IDs: map[string][]string{}, FullIDs: map[string][]string{}, Used: map[string]bool{}, ext: 20}
	// What sign-up made, for when the list operations do not exist.
	f.IDs["userId"], f.FullIDs["userId"] = []string{a.AdminID}, []string{a.ID + a.AdminID}
	f.IDs["number"] = a.Numbers
	for i := 0; i < n; i++ {
		if d.Find("POST", "/v1/tokens") != nil {
			t, err := c.CreateToken(ctx, a.Token, fmt.Sprintf("%s token %d", marker, i))
			if err != nil {
				return nil, err
			}
			f.Tokens = append(f.Tokens, t)
			f.Used["POST /v1/tokens"] = true
		}
	}
	var users []string
	for i := 0; i < n; i++ {
		// Each user comes with a phone and an external phone, and gets a
		// second phone by the device operation.
		id, err := f.createWith(ctx, c, d, "POST", "/v1/users", nil, func(path string, s *Schema) (any, bool) {
			if path == "devices" {
				return []any{map[string]any{"kind": "phone"}, map[string]any{"kind": "external", "number": fmt.Sprintf("+49151%08d", Unique())}}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if id == "" {
			break
		}
		users = append(users, id)
		if op := d.Find("POST", "/v1/users/{userId}/devices"); op != nil {
			if _, err := f.create(ctx, c, d, "POST", "/v1/users/{userId}/devices", map[string]string{"userId": id}); err != nil {
				return nil, err
			}
		}
	}
	f.IDs["userId"] = append(f.IDs["userId"], users...)
	if len(users) == 0 {
		users = []string{a.AdminID} // no user operations: the admin stands in
	}
	var groups []string
	for i := 0; i < n; i++ {
		id, err := f.createWith(ctx, c, d, "POST", "/v1/groups", nil, func(path string, s *Schema) (any, bool) {
			if path == "members" && len(users) > 0 {
				return []any{users[i%len(users)]}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if id == "" {
			break
		}
		groups = append(groups, id)
	}
	for i := 0; i < n; i++ {
		if id, err := f.create(ctx, c, d, "POST", "/v1/contacts", nil); err != nil || id == "" {
			if err != nil {
				return nil, err
			}
			break
		}
	}
	if err := f.route(ctx, c, d, users, groups); err != nil {
		return nil, err
	}
	if err := f.webhooks(ctx, c, d); err != nil {
		return nil, err
	}
	return f, f.Refresh(ctx, c, d)
}

// webhooks sets a webhook URL and sends it a test event, so the account
// has a delivery in its log. The URL, on a loopback port nothing listens
// on, carries the marker.
func (f *Fixtures) webhooks(ctx context.Context, c *Client, d *Document) error {
	if d.Find("PUT", "/v1/webhooks") == nil || d.Find("POST", "/v1/webhooks/test") == nil {
		return nil
	}
	settings := map[string]any{"incoming": map[string]any{"url": "http://127.0.0.1:9/" + f.Marker}}
	if _, err := c.Expect(ctx, "PUT", "/v1/webhooks", settings, f.Account.Token); err != nil {
		return fmt.Errorf("set webhooks: %w", err)
	}
	if _, err := c.Expect(ctx, "POST", "/v1/webhooks/test", nil, f.Account.Token); err != nil {
		return fmt.Errorf("test webhooks: %w", err)
	}
	f.Used["POST /v1/webhooks/test"] = true
	return nil
}

// route sends the account's first number to its first user and the second
// to its first group, so that numbers have routes worth protecting.
func (f *Fixtures) route(ctx context.Context, c *Client, d *Document, users, groups []string) error {
	op := d.Find("PATCH", "/v1/numbers/{number}")
	if op == nil || len(f.Account.Numbers) < 2 {
		return nil
	}
	routes := []map[string]any{}
	if len(users) > 0 {
		routes = append(routes, map[string]any{"kind": "user", "target": users[0]})
	}
	if len(groups) > 0 {
		routes = append(routes, map[string]any{"kind": "group", "target": groups[0]})
	}
	for i, r := range routes {
		path := "/v1/numbers/" + url.PathEscape(f.Account.Numbers[i])
		if _, err := c.Expect(ctx, "PATCH", path, map[string]any{"route": r}, f.Account.Token); err != nil {
			return fmt.Errorf("route a number: %w", err)
		}
		f.Used[op.Key()] = true
	}
	return nil
}

// NextExtension returns an extension the fixtures have not used.
func (f *Fixtures) NextExtension() string {
	f.ext++
	return strconv.Itoa(f.ext)
}

// Hint gives the values a body of this account needs: marked names,
// marked unique e-mail addresses, fresh extensions, the admin's password.
func (f *Fixtures) Hint(path string, s *Schema) (any, bool) {
	switch name := Last(path); {
	case s.Format == "email" || strings.EqualFold(name, "email"):
		return fmt.Sprintf("%s.%d@example.com", strings.ToLower(f.Marker), Unique()), true
	case name == "name" || name == "company":
		return fmt.Sprintf("%s %s %d", f.Marker, name, Unique()), true
	case name == "extension":
		return f.NextExtension(), true
	case name == "password":
		return Password, true
	case PhoneLike(path, s):
		return fmt.Sprintf("+4930%08d", 10000000+Unique()%89999999), true
	}
	return nil, false
}

func (f *Fixtures) create(ctx context.Context, c *Client, d *Document, method, path string, params map[string]string) (string, error) {
	return f.createWith(ctx, c, d, method, path, params, nil)
}

// createWith calls a create operation with a body made from its schema:
// required properties, plus name and extension where the schema has them.
// It returns "" when the operation does not exist.
func (f *Fixtures) createWith(ctx context.Context, c *Client, d *Document, method, path string, params map[string]string, hint func(string, *Schema) (any, bool)) (string, error) {
	op := d.Find(method, path)
	if op == nil {
		return "", nil
	}
	g := &Gen{Doc: d, Hint: func(p string, s *Schema) (any, bool) {
		if hint != nil {
			if v, ok := hint(p, s); ok {
				return v, true
			}
		}
		return f.Hint(p, s)
	}, Optional: func(p string, _ *Schema) bool {
		return !strings.Contains(p, ".") && (p == "name" || p == "extension" || p == "members" || p == "devices")
	}}
	var body any
	if s := d.BodySchema(op); s != nil {
		body = g.Value("", s)
	}
	r, err := c.Expect(ctx, method, op.Fill(escaped(params)), body, f.Account.Token, http.StatusCreated, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("build fixtures with %s (body %s): %w", op.Key(), MarshalIndent(body), err)
	}
	f.Used[op.Key()] = true
	id := idOf(r.JSON)
	if id == "" {
		return "", fmt.Errorf("build fixtures: %s answered no id: %s", op.Key(), Short(r.Raw))
	}
	return id, nil
}

// idOf finds the id in a create answer: its "id", or the "id" of the one
// object it wraps (a created user comes as {"user": {...}, "devices": ...}).
func idOf(v any) string {
	if id := Str(v, "id"); id != "" {
		return id
	}
	m, _ := v.(map[string]any)
	var keys []string
	for k, e := range m {
		if Str(e, "id") != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 1 {
		return Str(m[keys[0]], "id")
	}
	return ""
}

func escaped(params map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range params {
		out[k] = url.PathEscape(v)
	}
	return out
}

// Refresh reads the account's ids from its list operations (and its
// users' devices), replacing what Build remembered.
func (f *Fixtures) Refresh(ctx context.Context, c *Client, d *Document) error {
	for param, path := range lists {
		if d.Find("GET", path) == nil {
			continue
		}
		r, err := c.Expect(ctx, "GET", path, nil, f.Account.Token)
		if err != nil {
			return fmt.Errorf("read fixtures: %w", err)
		}
		key := "id"
		if param == "number" {
			key = "number"
		}
		var ids, full []string
		for _, it := range Items(r.JSON) {
			if id := Str(it, key); id != "" {
				ids = append(ids, id)
			}
			if id := Str(it, "fullId"); id != "" {
				full = append(full, id)
			}
		}
		f.IDs[param], f.FullIDs[param] = ids, full
	}
	if d.Find("GET", "/v1/users/{userId}/devices") != nil {
		var devices []string
		for _, u := range f.IDs["userId"] {
			r, err := c.Expect(ctx, "GET", "/v1/users/"+url.PathEscape(u)+"/devices", nil, f.Account.Token)
			if err != nil {
				return fmt.Errorf("read fixtures: %w", err)
			}
			for _, it := range Items(r.JSON) {
				devices = append(devices, Str(it, "id"))
			}
		}
		sort.Strings(devices)
		f.IDs["deviceId"] = devices
	}
	return nil
}

// SetupToken finds the one-time token of the newest welcome e-mail to
// address in a local stack's outbox folder (the .eml files it writes).
func SetupToken(outbox, address string) (string, error) {
	entries, err := os.ReadDir(outbox)
	if err != nil {
		return "", fmt.Errorf("read the outbox: %w", err)
	}
	token := ""
	for _, e := range entries { // names start with the time: oldest first
		if !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(outbox, e.Name()))
		if err != nil {
			return "", err
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return "", fmt.Errorf("e-mail %s: %w", e.Name(), err)
		}
		to, err := mail.ParseAddress(msg.Header.Get("To"))
		if err != nil || !strings.EqualFold(to.Address, address) {
			continue
		}
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(msg.Body)
		}
		text, err := io.ReadAll(body)
		if err != nil {
			return "", fmt.Errorf("e-mail %s: %w", e.Name(), err)
		}
		if m := setupLink.FindSubmatch(text); m != nil {
			if token, err = url.QueryUnescape(string(m[1])); err != nil {
				return "", err
			}
		}
	}
	if token == "" {
		return "", fmt.Errorf("no welcome e-mail with a setup link to %s in %s", address, outbox)
	}
	return token, nil
}

var setupLink = regexp.MustCompile(`setup\?token=([^\s&"<>]+)`)

// SetPassword sets a password with a setup token and returns the session
// it opens.
func (c *Client) SetPassword(ctx context.Context, token, password string) (string, error) {
	r, err := c.Expect(ctx, http.MethodPost, "/v1/sessions/setup", map[string]string{"token": token, "password": password}, "", http.StatusCreated, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("set a password: %w", err)
	}
	s := Str(r.JSON, "token")
	if s == "" {
		return "", fmt.Errorf("set a password: no session in %s", Short(r.Raw))
	}
	return s, nil
}
