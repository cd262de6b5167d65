package account

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// usersEnv is a service on an embedded store in a temporary folder, with a
// signed-up account whose first admin acts in the tests.
type usersEnv struct {
	t       *testing.T
	ctx     context.Context
	svc     *Service
	db      store.Store
	outbox  string
	admin   auth.Principal
	account string
	numbers []string // the account's test numbers
}

func newUsersEnv(t *testing.T, plan string) *usersEnv {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(dir, "table.db"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	kf, err := secret.OpenKeyFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	env := &usersEnv{t: t, ctx: context.Background(), db: db, outbox: filepath.Join(dir, "outbox")}
	env.svc, err = New(Config{Realm: "sip.switchboard.test", Proxy: "127.0.0.1:5060", STUN: "127.0.0.1:10000", ConsoleURL: "http://127.0.0.1:18081"},
		db, secret.Envelope{KEK: kf}, mail.Folder{Dir: env.outbox}, logger)
	if err != nil {
		t.Fatal(err)
	}
	env.admin, env.account, env.numbers = env.signup("ada@acme.example", plan)
	return env
}

// signup makes an account and returns its admin, id and test numbers.
func (e *usersEnv) signup(addr, plan string) (auth.Principal, string, []string) {
	e.t.Helper()
	res, err := e.svc.Signup(e.ctx, SignupInput{Company: "Acme GmbH", Name: "Ada Admin", Email: addr, Password: "correct horse battery", Plan: plan}, "127.0.0.1")
	if err != nil {
		e.t.Fatalf("sign up %s: %v", addr, err)
	}
	p, err := e.svc.Authenticate(e.ctx, res.Session.Token)
	if err != nil {
		e.t.Fatal(err)
	}
	var nums []string
	for _, n := range res.Numbers {
		nums = append(nums, n.E164)
	}
	sort.Strings(nums)
	return p, res.Account.ID, nums
}

// user is the principal of a non-admin user of the env's account.
func (e *usersEnv) user(id string) auth.Principal {
	return auth.Principal{Account: e.account, User: id, Role: auth.RoleUser, Via: model.CredSession}
}

// group writes a group into the account, as the groups feature would.
func (e *usersEnv) group(id string, members ...string) {
	e.t.Helper()
	g := model.Group{Common: model.Common{PK: model.AccountPK(e.account), SK: model.GroupKey(e.account, id).SK, Type: model.TypeGroup},
		Account: e.account, ID: id, Name: "Group " + id, Members: members}
	if err := e.db.Write(e.ctx, store.Put(mustMarshal(g))); err != nil {
		e.t.Fatal(err)
	}
}

func (e *usersEnv) get(k store.Key, v any) bool {
	e.t.Helper()
	it, err := e.db.Get(e.ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if v != nil {
		if err := store.Unmarshal(it, v); err != nil {
			e.t.Fatal(err)
		}
	}
	return true
}

func (e *usersEnv) accountItem() model.Account {
	e.t.Helper()
	a, err := e.svc.load(e.ctx, e.account)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *usersEnv) loginExists(addr string) bool {
	pk, sk := model.LoginKey(addr)
	return e.get(store.Key{PK: pk, SK: sk}, nil)
}

// snapshot lists every item of the account's partition with its version,
// to show that a refused request wrote nothing.
func (e *usersEnv) snapshot() []string {
	e.t.Helper()
	var out []string
	q := store.Query{PK: model.AccountPK(e.account), Limit: store.MaxLimit}
	for {
		page, err := e.db.Query(e.ctx, q)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, it := range page.Items {
			k, _ := store.KeyOf(it)
			out = append(out, fmt.Sprintf("%s v%d", k.SK, store.Version(it)))
		}
		if page.Cursor == "" {
			return out
		}
		q.Cursor = page.Cursor
	}
}

// mails returns the outbox's messages: recipient and decoded body.
func (e *usersEnv) mails() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		m, err := netmail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			e.t.Fatal(err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			e.t.Fatal(err)
		}
		to, _ := netmail.ParseAddress(m.Header.Get("To"))
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		out[to.Address] = subject + "\n" + string(body)
	}
	return out
}

// setupToken finds the token of the link in a welcome e-mail.
func setupToken(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, "/#/setup?token=")
	if !ok {
		t.Fatalf("no setup link in %q", body)
	}
	tok, _, _ := strings.Cut(rest, "\n")
	return strings.TrimSpace(strings.TrimSuffix(tok, "\r"))
}

func wantKind(t *testing.T, err error, kind Kind, field string) {
	t.Helper()
	if kindOf(err) != kind {
		t.Fatalf("error %v: kind %d, want %d", err, kindOf(err), kind)
	}
	if field == "" {
		return
	}
	if !slices.Contains(fields(err), field) {
		t.Fatalf("error %v does not name %q (names %v)", err, field, fields(err))
	}
}

// kindOf is the kind of a domain error, or of the first of several.
func kindOf(err error) Kind {
	var list Errors
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Kind
	}
	return KindOf(err)
}

// fields lists the fields an error names.
func fields(err error) []string {
	var list Errors
	if errors.As(err, &list) {
		var out []string
		for _, e := range list {
			out = append(out, e.Field)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		return []string{e.Field}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func TestCreateUserWithEverything(t *testing.T) {
	e := newUsersEnv(t, "")
	e.group("g0", "w0")
	e.group("g1")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{
		Name: " Bob Builder ", Email: "Bob@Acme.example", Location: "Düsseldorf", Language: "en", MayChangeRouting: true,
		Devices: []DeviceInput{{Kind: "phone", Name: "Desk"}, {Kind: "external", Number: "0171 2345678"}, {Kind: "voicemail"}},
		Number:  e.numbers[0], Extension: "21", Groups: []string{"g0", "g1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	acct := e.account
	if res.User.ID != "w1" || res.User.Name != "Bob Builder" || res.User.Email != "bob@acme.example" || res.User.Extension != "21" || res.User.Language != "en" {
		t.Fatalf("user %+v", res.User)
	}
	wantIDs := []string{acct + "e0", acct + "e1", acct + "e2"}
	for i, d := range res.Devices {
		if d.ID != wantIDs[i] || d.Owner != "w1" || !d.Enabled {
			t.Fatalf("device %d: %+v", i, d)
		}
	}
	if res.Devices[0].Status == nil || res.Devices[0].Status.Online || res.Devices[1].Number != "+491712345678" || res.Devices[2].Name != "Voicemail" {
		t.Fatalf("devices %+v", res.Devices)
	}
	if res.Number == nil || res.Number.Route.Kind != "user" || res.Number.Route.Target != "w1" || !slices.Equal(res.Groups, []string{"g0", "g1"}) {
		t.Fatalf("number %+v groups %v", res.Number, res.Groups)
	}

	// Everything is in the store.
	var u model.User
	if !e.get(model.UserKey(acct, "w1"), &u) || u.Location != "Düsseldorf" || !u.MayChangeRouting || u.Admin {
		t.Fatalf("stored user %+v", u)
	}
	var login model.Login
	pk, sk := model.LoginKey("bob@acme.example")
	if !e.get(store.Key{PK: pk, SK: sk}, &login) || login.Account != acct || login.User != "w1" || login.PasswordHash != "" {
		t.Fatalf("login %+v", login)
	}
	it, err := e.db.Get(e.ctx, model.ExtensionKey(acct, "21"))
	if err != nil || str(it, "owner") != "w1" || str(it, "kind") != ExtUser {
		t.Fatalf("extension guard %v %v", it, err)
	}
	var phone model.Device
	if !e.get(model.DeviceKey(acct, acct+"e0"), &phone) || len(phone.Secret) == 0 || phone.HA1MD5 == "" || phone.HA1SHA256 == "" ||
		phone.LookupPK != model.DeviceLookup(acct+"e0") || phone.Realm != "sip.switchboard.test" {
		t.Fatalf("phone %+v", phone)
	}
	page, err := e.db.Query(e.ctx, store.Query{Index: model.LookupIndex, PK: model.DeviceLookup(acct + "e1")})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("device lookup: %v %v", page.Items, err)
	}
	var n model.Number
	if !e.get(model.NumberKey(acct, e.numbers[0]), &n) || n.Route != model.RouteUser || n.Target != "w1" {
		t.Fatalf("number %+v", n)
	}
	for _, gid := range []string{"g0", "g1"} {
		var g model.Group
		if !e.get(model.GroupKey(acct, gid), &g) || !slices.Contains(g.Members, "w1") {
			t.Fatalf("group %s: %+v", gid, g)
		}
	}
	a := e.accountItem()
	if a.NextUser != 2 || a.NextDevice != 3 || a.Users != 2 {
		t.Fatalf("account counters %+v", a)
	}
	entries, _, err := e.svc.Audit(e.ctx, e.admin, "", 10)
	if err != nil || entries[0].Action != "user.create" || entries[0].Target != "w1" {
		t.Fatalf("audit %+v %v", entries, err)
	}

	// The next user takes the next ids.
	res2, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Cleo", Email: "cleo@acme.example", Devices: []DeviceInput{{Kind: "fax"}}})
	if err != nil || res2.User.ID != "w2" || res2.Devices[0].ID != acct+"e3" {
		t.Fatalf("second user %+v %v", res2, err)
	}
}

// racing is a store whose next write is preceded by another writer's
// write, as when two requests race between their checks and their writes.
type racing struct {
	store.Store
	before []store.Op
}

func (r *racing) Write(ctx context.Context, ops ...store.Op) error {
	if r.before != nil {
		first := r.before
		r.before = nil
		if err := r.Store.Write(ctx, first...); err != nil {
			return err
		}
	}
	return r.Store.Write(ctx, ops...)
}

func TestCreateUserRefused(t *testing.T) {
	e := newUsersEnv(t, "")
	e.group("g0")
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example", Extension: "21", Number: e.numbers[0]}); err != nil {
		t.Fatal(err)
	}
	other, _, _ := e.signup("owner@other.example", "")
	for _, tc := range []struct {
		name  string
		p     auth.Principal
		in    UserInput
		race  func() []store.Op // a write that wins the race before the create writes
		kind  Kind
		field []string
	}{
		{name: "extension taken", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Extension: "21", Devices: []DeviceInput{{Kind: "phone"}}},
			kind: Conflict, field: []string{"extension"}},
		{name: "extension taken meanwhile", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Extension: "22", Devices: []DeviceInput{{Kind: "phone"}}},
			race: func() []store.Op { return []store.Op{reserveExtension(e.account, "22", ExtGroup, "g0")} },
			kind: Conflict, field: []string{"extension"}},
		{name: "e-mail of another account", in: UserInput{Name: "Cleo", Email: "owner@other.example"},
			kind: Conflict, field: []string{"email"}},
		{name: "e-mail registered meanwhile", in: UserInput{Name: "Cleo", Email: "late@acme.example", Devices: []DeviceInput{{Kind: "fax"}}},
			race: func() []store.Op {
				pk, sk := model.LoginKey("late@acme.example")
				return []store.Op{store.Put(mustMarshal(model.Login{PK: pk, SK: sk, Type: model.TypeLogin, Email: "late@acme.example", Account: "7654321", User: "w0"}))}
			},
			kind: Conflict, field: []string{"email"}},
		{name: "number routed to another user", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Number: e.numbers[0]},
			kind: Conflict, field: []string{"number"}},
		{name: "number routed meanwhile", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Number: e.numbers[1]},
			race: func() []store.Op {
				return []store.Op{store.Update(model.NumberKey(e.account, e.numbers[1])).SetAttr("route", store.S(model.RouteGroup)).SetAttr("target", store.S("g0"))}
			},
			kind: Conflict, field: []string{"number"}},
		{name: "number of another account", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Number: "+4918019999999"},
			kind: Invalid, field: []string{"number"}},
		{name: "every wrong field at once", in: UserInput{Name: "", Email: "not-an-address", Language: "fr", Extension: "0123",
			Devices: []DeviceInput{{Kind: "phone"}, {Kind: "external", Number: "12"}, {Kind: "robot"}, {Kind: "voicemail"}, {Kind: "voicemail"}},
			Groups:  []string{"g9", "g0", "g0"}},
			kind: Invalid, field: []string{"name", "email", "language", "extension", "devices[1].number", "devices[2].kind", "devices[4].kind", "groups[0]", "groups[2]"}},
		{name: "external phone without number", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Devices: []DeviceInput{{Kind: "phone"}, {Kind: "external"}}},
			kind: Invalid, field: []string{"devices[1].number"}},
		{name: "too many devices", in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Devices: slices.Repeat([]DeviceInput{{Kind: "phone"}}, 9)},
			kind: Invalid, field: []string{"devices"}},
		{name: "not an admin", p: e.user("w1"), in: UserInput{Name: "Cleo", Email: "cleo@acme.example"}, kind: Forbidden},
		{name: "group of another account", p: other, in: UserInput{Name: "Cleo", Email: "cleo@acme.example", Groups: []string{"g0"}},
			kind: Invalid, field: []string{"groups[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.admin
			if tc.p.Account != "" {
				p = tc.p
			}
			mailsBefore := len(e.mails())
			svc := e.svc
			// Items the racing writer changes are left out of the
			// comparison: the refused request itself must write nothing.
			raced := map[string]bool{}
			if tc.race != nil {
				ops := tc.race()
				for _, op := range ops {
					k := op.Key
					if op.Kind == store.OpPut {
						k, _ = store.KeyOf(op.Item)
					}
					raced[k.SK] = true
				}
				cp := *e.svc
				cp.store = &racing{Store: e.db, before: ops}
				svc = &cp
			}
			before := e.snapshot()
			_, err := svc.CreateUser(e.ctx, p, tc.in)
			wantKind(t, err, tc.kind, "")
			for _, f := range tc.field {
				wantKind(t, err, tc.kind, f)
			}
			unraced := func(items []string) []string {
				return slices.DeleteFunc(items, func(s string) bool { return raced[strings.Fields(s)[0]] })
			}
			if after := e.snapshot(); !slices.Equal(unraced(before), unraced(after)) {
				t.Fatalf("the refused request wrote:\nbefore %v\nafter  %v", before, after)
			}
			a := e.accountItem()
			if a.NextUser != 2 || a.NextDevice != 0 || a.Users != 2 {
				t.Fatalf("account counters changed: %+v", a)
			}
			if e.loginExists("cleo@acme.example") || e.get(model.UserKey(e.account, "w2"), nil) || e.get(model.DeviceKey(e.account, e.account+"e0"), nil) {
				t.Fatal("user, login or device written")
			}
			users, _, err := e.svc.Users(e.ctx, e.admin, "", 0)
			if err != nil || len(users) != 2 {
				t.Fatalf("users %v %v", users, err)
			}
			if len(e.mails()) != mailsBefore {
				t.Fatal("a welcome e-mail was sent")
			}
		})
	}
}

func TestPlanLimit(t *testing.T) {
	e := newUsersEnv(t, "team-3")
	for i := 1; i <= 2; i++ {
		if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "U", Email: fmt.Sprintf("u%d@acme.example", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "U", Email: "u3@acme.example"})
	wantKind(t, err, PlanLimit, "")
	if e.loginExists("u3@acme.example") || e.accountItem().Users != 3 {
		t.Fatal("the refused user was written")
	}
	// Deleting a user makes room again.
	if _, err := e.svc.DeleteUser(e.ctx, e.admin, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "U", Email: "u3@acme.example"}); err != nil {
		t.Fatal(err)
	}
}

func TestUserVisibility(t *testing.T) {
	e := newUsersEnv(t, "")
	for _, addr := range []string{"bob@acme.example", "cleo@acme.example"} {
		if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "X", Email: addr, Devices: []DeviceInput{{Kind: "phone"}}}); err != nil {
			t.Fatal(err)
		}
	}
	bob := e.user("w1")
	other, _, _ := e.signup("owner@other.example", "")

	all, next, err := e.svc.Users(e.ctx, e.admin, "", 2)
	if err != nil || len(all) != 2 || next == "" {
		t.Fatalf("first page %v %q %v", all, next, err)
	}
	rest, next, err := e.svc.Users(e.ctx, e.admin, next, 2)
	if err != nil || len(rest) != 1 || next != "" || rest[0].ID != "w2" {
		t.Fatalf("second page %v %q %v", rest, next, err)
	}
	_, _, err = e.svc.Users(e.ctx, e.admin, "garbage", 2)
	wantKind(t, err, Invalid, "cursor")

	own, _, err := e.svc.Users(e.ctx, bob, "", 0)
	if err != nil || len(own) != 1 || own[0].ID != "w1" {
		t.Fatalf("a user lists %v %v", own, err)
	}
	for _, tc := range []struct {
		name string
		err  error
		kind Kind
	}{
		{"user reads self", func() error { _, err := e.svc.User(e.ctx, bob, "w1"); return err }(), 0},
		{"user reads another", func() error { _, err := e.svc.User(e.ctx, bob, "w2"); return err }(), Forbidden},
		{"user deletes another", func() error { _, err := e.svc.DeleteUser(e.ctx, bob, "w2"); return err }(), Forbidden},
		{"user lists another's devices", func() error { _, err := e.svc.Devices(e.ctx, bob, "w2"); return err }(), Forbidden},
		{"user reads another's phone", func() error { _, err := e.svc.Device(e.ctx, bob, e.account+"e1"); return err }(), Forbidden},
		{"user reads another's credentials", func() error { _, err := e.svc.Credentials(e.ctx, bob, e.account+"e1"); return err }(), Forbidden},
		{"user changes another", func() error { _, err := e.svc.UpdateUser(e.ctx, bob, "w2", UserUpdate{Name: ptr("x")}); return err }(), Forbidden},
		{"user makes self admin", func() error { _, err := e.svc.UpdateUser(e.ctx, bob, "w1", UserUpdate{Admin: ptr(true)}); return err }(), Forbidden},
		{"user adds a device", func() error { _, err := e.svc.CreateDevice(e.ctx, bob, "w1", DeviceInput{Kind: "phone"}); return err }(), Forbidden},
		{"user deletes own phone", func() error { _, err := e.svc.DeleteDevice(e.ctx, bob, e.account+"e0"); return err }(), Forbidden},
		{"admin deletes self", func() error { _, err := e.svc.DeleteUser(e.ctx, e.admin, "w0"); return err }(), Forbidden},
		{"other account reads a user", func() error { _, err := e.svc.User(e.ctx, other, "w1"); return err }(), NotFound},
		{"other account reads a device", func() error { _, err := e.svc.Device(e.ctx, other, e.account+"e0"); return err }(), NotFound},
		{"other account reads credentials", func() error { _, err := e.svc.Credentials(e.ctx, other, e.account+"e0"); return err }(), NotFound},
		{"other account deletes a user", func() error { _, err := e.svc.DeleteUser(e.ctx, other, "w1"); return err }(), NotFound},
		{"other account deletes a device", func() error { _, err := e.svc.DeleteDevice(e.ctx, other, e.account+"e0"); return err }(), NotFound},
		{"other account rotates", func() error { _, err := e.svc.RotatePassword(e.ctx, other, e.account+"e0"); return err }(), NotFound},
		{"other account lists devices", func() error { _, err := e.svc.Devices(e.ctx, other, "w1"); return err }(), NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if KindOf(tc.err) != tc.kind || (tc.kind == 0 && tc.err != nil) {
				t.Fatalf("got %v (kind %d), want kind %d", tc.err, KindOf(tc.err), tc.kind)
			}
		})
	}
}

func TestUpdateUser(t *testing.T) {
	e := newUsersEnv(t, "")
	e.group("g0")
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example", Extension: "21", Number: e.numbers[0],
		Devices: []DeviceInput{{Kind: "phone"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Cleo", Email: "cleo@acme.example", Extension: "22"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Write(e.ctx, reserveExtension(e.account, "30", ExtGroup, "g0")); err != nil {
		t.Fatal(err)
	}
	bob := e.user("w1")
	rules := func(fs ...Forward) *[]Forward { return &fs }
	for _, tc := range []struct {
		name  string
		p     bool // as the admin rather than Bob
		u     UserUpdate
		kind  Kind
		field string
		check func(UserInfo) bool
	}{
		{name: "own name and language", u: UserUpdate{Name: ptr(" Robert "), Language: ptr("en")},
			check: func(u UserInfo) bool { return u.Name == "Robert" && u.Language == "en" }},
		{name: "caller id: own number", u: UserUpdate{CallerID: ptr(e.numbers[0])},
			check: func(u UserInfo) bool { return u.CallerID == e.numbers[0] }},
		{name: "caller id: anonymous", u: UserUpdate{CallerID: ptr("anonymous")},
			check: func(u UserInfo) bool { return u.CallerID == "anonymous" }},
		{name: "caller id: a number not routed to the user", u: UserUpdate{CallerID: ptr(e.numbers[1])}, kind: Invalid, field: "callerId"},
		{name: "caller id: not a number", u: UserUpdate{CallerID: ptr("hello")}, kind: Invalid, field: "callerId"},
		{name: "forwarding: noAnswer needs its seconds", u: UserUpdate{Forwarding: rules(Forward{When: "noAnswer", Target: "22"})},
			kind: Invalid, field: "forwarding[0].after"},
		{name: "forwarding", u: UserUpdate{Forwarding: rules(Forward{When: "busy", Target: "22"}, Forward{When: "noAnswer", After: 20, Target: "0171 2345678"},
			Forward{When: "unavailable", Target: "30"})},
			check: func(u UserInfo) bool {
				return len(u.Forwarding) == 3 && u.Forwarding[1].After == 20 && u.Forwarding[1].Target == "+491712345678" && u.Forwarding[2].Target == "30"
			}},
		{name: "forwarding: wrong rules", u: UserUpdate{Forwarding: rules(Forward{When: "noAnswer", After: 3, Target: "22"}, Forward{When: "later", Target: "22"},
			Forward{When: "busy", Target: "99"}, Forward{When: "always", Target: "21"}, Forward{When: "unavailable", After: 10, Target: "x"})},
			kind: Invalid, field: "forwarding[0].after"},
		{name: "forwarding: too many", u: UserUpdate{Forwarding: rules(slices.Repeat([]Forward{{When: "busy", Target: "22"}}, 6)...)}, kind: Invalid, field: "forwarding"},
		{name: "forwarding: cleared", u: UserUpdate{Forwarding: rules()}, check: func(u UserInfo) bool { return len(u.Forwarding) == 0 }},
		{name: "user sets own extension", u: UserUpdate{Extension: ptr("23")}, kind: Forbidden, field: "extension"},
		{name: "user locks self", u: UserUpdate{Locked: ptr(true)}, kind: Forbidden, field: "locked"},
		{name: "extension taken", p: true, u: UserUpdate{Extension: ptr("22")}, kind: Conflict, field: "extension"},
		{name: "extension of a group", p: true, u: UserUpdate{Extension: ptr("30")}, kind: Conflict, field: "extension"},
		{name: "extension too long", p: true, u: UserUpdate{Extension: ptr("12345")}, kind: Invalid, field: "extension"},
		{name: "e-mail taken", p: true, u: UserUpdate{Email: ptr("cleo@acme.example")}, kind: Conflict, field: "email"},
		{name: "e-mail invalid", p: true, u: UserUpdate{Email: ptr("bob at acme")}, kind: Invalid, field: "email"},
		{name: "admin changes role, location, routing", p: true, u: UserUpdate{Admin: ptr(true), Location: ptr("Köln"), MayChangeRouting: ptr(true)},
			check: func(u UserInfo) bool { return u.Admin && u.Location == "Köln" && u.MayChangeRouting }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := bob
			if tc.p {
				p = e.admin
			}
			before := e.snapshot()
			got, err := e.svc.UpdateUser(e.ctx, p, "w1", tc.u)
			if tc.kind != 0 {
				wantKind(t, err, tc.kind, tc.field)
				if after := e.snapshot(); !slices.Equal(before, after) {
					t.Fatalf("the refused update wrote:\nbefore %v\nafter  %v", before, after)
				}
				return
			}
			if err != nil || !tc.check(got) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}

	t.Run("every wrong forwarding rule is named", func(t *testing.T) {
		_, err := e.svc.UpdateUser(e.ctx, bob, "w1", UserUpdate{Forwarding: rules(Forward{When: "noAnswer", After: 3, Target: "22"},
			Forward{When: "later", Target: "22"}, Forward{When: "busy", Target: "99"}, Forward{When: "always", Target: "21"},
			Forward{When: "unavailable", After: 10, Target: "x"})})
		for _, f := range []string{"forwarding[0].after", "forwarding[1].when", "forwarding[2].target", "forwarding[3].target", "forwarding[4].after", "forwarding[4].target"} {
			wantKind(t, err, Invalid, f)
		}
	})

	t.Run("e-mail moves the login with its password", func(t *testing.T) {
		tok := setupToken(t, e.mails()["bob@acme.example"])
		if _, err := e.svc.SetPassword(e.ctx, tok, "bobs good password", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateUser(e.ctx, e.admin, "w1", UserUpdate{Email: ptr("Robert@Acme.example")}); err != nil {
			t.Fatal(err)
		}
		if e.loginExists("bob@acme.example") {
			t.Fatal("old login left behind")
		}
		if _, err := e.svc.Login(e.ctx, "robert@acme.example", "bobs good password", "127.0.0.1"); err != nil {
			t.Fatalf("login with the new address: %v", err)
		}
	})

	t.Run("extension moves", func(t *testing.T) {
		if _, err := e.svc.UpdateUser(e.ctx, e.admin, "w1", UserUpdate{Extension: ptr("25")}); err != nil {
			t.Fatal(err)
		}
		if e.get(model.ExtensionKey(e.account, "21"), nil) || !e.get(model.ExtensionKey(e.account, "25"), nil) {
			t.Fatal("extension guards not moved")
		}
		u, err := e.svc.UpdateUser(e.ctx, e.admin, "w1", UserUpdate{Extension: ptr("")})
		if err != nil || u.Extension != "" || e.get(model.ExtensionKey(e.account, "25"), nil) {
			t.Fatalf("extension not removed: %+v %v", u, err)
		}
	})

	t.Run("the last unlocked admin stays", func(t *testing.T) {
		// Bob became an admin above; lock him, and Ada is the only one.
		if _, err := e.svc.UpdateUser(e.ctx, e.admin, "w1", UserUpdate{Locked: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.UpdateUser(e.ctx, e.admin, "w0", UserUpdate{Admin: ptr(false)})
		wantKind(t, err, Conflict, "admin")
		_, err = e.svc.UpdateUser(e.ctx, e.admin, "w0", UserUpdate{Locked: ptr(true)})
		wantKind(t, err, Conflict, "locked")
		if _, err := e.svc.UpdateUser(e.ctx, e.admin, "w1", UserUpdate{Locked: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateUser(e.ctx, e.admin, "w0", UserUpdate{Admin: ptr(false)}); err != nil {
			t.Fatalf("with another admin: %v", err)
		}
	})

	t.Run("a locked user cannot log in", func(t *testing.T) {
		robert := auth.Principal{Account: e.account, User: "w1", Role: auth.RoleAdmin}
		if _, err := e.svc.UpdateUser(e.ctx, robert, "w2", UserUpdate{Locked: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		tok := setupToken(t, e.mails()["cleo@acme.example"])
		_, err := e.svc.SetPassword(e.ctx, tok, "cleos good password", "127.0.0.1")
		wantKind(t, err, Unauthorized, "")
	})
}

func TestDeleteUser(t *testing.T) {
	e := newUsersEnv(t, "")
	e.group("g0", "w0")
	e.group("g1")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example", Extension: "21", Number: e.numbers[0],
		Devices: []DeviceInput{{Kind: "phone"}, {Kind: "voicemail"}, {Kind: "external", Number: "+491712345678"}}, Groups: []string{"g0", "g1"}})
	if err != nil {
		t.Fatal(err)
	}
	bob := e.user("w1")
	// Bob's other traces: a number routed to his voicemail, a token, a
	// personal contact, a password.
	if err := e.db.Write(e.ctx, store.Update(model.NumberKey(e.account, e.numbers[1])).
		SetAttr("route", store.S(model.RouteDevice)).SetAttr("target", store.S(res.Devices[1].ID))); err != nil {
		t.Fatal(err)
	}
	tok, err := e.svc.CreateToken(e.ctx, bob, "script", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: "Mum", Numbers: []string{"0211 1234567"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPassword(e.ctx, setupToken(t, e.mails()["bob@acme.example"]), "bobs good password", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}

	rm, err := e.svc.DeleteUser(e.ctx, e.admin, "w1")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rm.Numbers)
	if rm.User != "w1" || len(rm.Devices) != 3 || !slices.Equal(rm.Numbers, e.numbers[:2]) || !slices.Equal(rm.Groups, []string{"g0", "g1"}) {
		t.Fatalf("removal %+v", rm)
	}
	if e.get(model.UserKey(e.account, "w1"), nil) || e.loginExists("bob@acme.example") || e.get(model.ExtensionKey(e.account, "21"), nil) {
		t.Fatal("user, login or extension left")
	}
	for _, d := range res.Devices {
		if e.get(model.DeviceKey(e.account, d.ID), nil) {
			t.Fatalf("device %s left", d.ID)
		}
	}
	for _, num := range e.numbers[:2] {
		var n model.Number
		if e.get(model.NumberKey(e.account, num), &n); n.Route != "" || n.Target != "" || n.Device != "" {
			t.Fatalf("number %s still routed: %+v", num, n)
		}
	}
	var g0, g1 model.Group
	e.get(model.GroupKey(e.account, "g0"), &g0)
	e.get(model.GroupKey(e.account, "g1"), &g1)
	if !slices.Equal(g0.Members, []string{"w0"}) || len(g1.Members) != 0 {
		t.Fatalf("groups after delete: %v / %v", g0.Members, g1.Members)
	}
	if e.accountItem().Users != 1 {
		t.Fatalf("account counts %d users", e.accountItem().Users)
	}
	_, err = e.svc.Login(e.ctx, "bob@acme.example", "bobs good password", "127.0.0.1")
	wantKind(t, err, Unauthorized, "")
	_, err = e.svc.Authenticate(e.ctx, tok.Secret)
	wantKind(t, err, Unauthorized, "")
	if e.get(model.TokenRefKey(e.account, tok.ID), nil) {
		t.Fatal("token listing copy left")
	}
	contacts, _, err := e.svc.Contacts(e.ctx, e.admin, "", 0)
	if err != nil || len(contacts) != 0 {
		t.Fatalf("contacts %v %v", contacts, err)
	}
	_, err = e.svc.User(e.ctx, e.admin, "w1")
	wantKind(t, err, NotFound, "")
	_, err = e.svc.DeleteUser(e.ctx, e.admin, "w1")
	wantKind(t, err, NotFound, "")
	// The freed extension and e-mail can be used again.
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example", Extension: "21", Number: e.numbers[0]}); err != nil {
		t.Fatal(err)
	}
}
