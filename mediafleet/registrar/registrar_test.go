package registrar

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/shared/model"
)

const contactA = "sip:phone@192.0.2.10:5060"

func TestRegister(t *testing.T) {
	for _, preferSHA256 := range []bool{false, true} {
		t.Run(fmt.Sprintf("PreferSHA256=%v", preferSHA256), func(t *testing.T) {
			testRegister(t, preferSHA256)
		})
	}
}

func testRegister(t *testing.T, preferSHA256 bool) {
	e := newEnv(t, 2, func(c *Config) { c.PreferSHA256 = preferSHA256 })
	first, second := "algorithm=MD5", "algorithm=SHA-256"
	if preferSHA256 {
		first, second = second, first
	}
	tests := []struct {
		name      string
		transport string
		alg       string
		phone     phone
	}{
		{"UDP SHA-256", "udp", "SHA-256", testPhone(0)},
		{"UDP MD5", "udp", "MD5", testPhone(1)},
		{"TCP SHA-256", "tcp", "SHA-256", testPhone(1)},
		{"TCP MD5", "tcp", "MD5", testPhone(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			d := e.dialog(c, tt.phone, tt.transport)
			req := d.request([]string{contactA}, expires(600))
			res := d.send(req)
			if res.StatusCode != sip.StatusUnauthorized {
				t.Fatalf("first REGISTER: %d %s, want 401", res.StatusCode, res.Reason)
			}
			// Two challenges in the configured order, one nonce, qop=auth.
			chals := res.GetHeaders("WWW-Authenticate")
			if len(chals) != 2 || !strings.Contains(chals[0].Value(), first) || !strings.Contains(chals[1].Value(), second) {
				t.Fatalf("challenges: %v", chals)
			}
			sha, md := findChallenge(t, res, "SHA-256"), findChallenge(t, res, "MD5")
			if sha.Nonce != md.Nonce || sha.Realm != testRealm || !sha.SupportsQOP("auth") || sha.Stale {
				t.Errorf("challenge: %+v / %+v", sha, md)
			}
			d.answer(req, res, tt.alg, tt.phone.password)
			res = d.send(req, sipgoAddVia)
			if res.StatusCode != sip.StatusOK {
				t.Fatalf("authenticated REGISTER: %d %s, want 200", res.StatusCode, res.Reason)
			}
			if got := contactExpires(t, res); got[contactA] != "600" || len(got) != 1 {
				t.Errorf("contacts in 200 = %v", got)
			}
			if res.GetHeader("Date") == nil || header(res, "Server") != "Switchboard-test" {
				t.Errorf("200 lacks Date or Server:\n%s", res)
			}
			// RFC 3581: the node tells the phone where it saw it.
			if via := res.Via(); via == nil || !via.Params.Has("received") || !via.Params.Has("rport") {
				t.Errorf("Via without received/rport: %v", res.Via())
			}
			bs := e.reg.Bindings(tt.phone.id)
			if len(bs) != 1 || bs[0].Contact.String() != contactA || bs[0].Transport != tt.transport {
				t.Fatalf("bindings = %+v", bs)
			}
			// The binding's address is where the REGISTER came from,
			// not the contact the phone put in it.
			if bs[0].Source != res.Source() && bs[0].Source != sourceOf(res) {
				t.Errorf("binding source %s, the phone is at %s", bs[0].Source, sourceOf(res))
			}
			// Unregister, so the next subtest starts clean.
			if res := d.register(tt.alg, []string{contactA}, expires(0)); res.StatusCode != sip.StatusOK || len(contactExpires(t, res)) != 0 {
				t.Errorf("unregister: %d, contacts %v", res.StatusCode, contactExpires(t, res))
			}
		})
	}
}

// sourceOf is the address the phone sent from, as the node's Via
// received and rport parameters say.
func sourceOf(res *sip.Response) string {
	via := res.Via()
	if via == nil {
		return ""
	}
	h, _ := via.Params.Get("received")
	p, _ := via.Params.Get("rport")
	return net.JoinHostPort(h, p)
}

func header(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func TestBindingItem(t *testing.T) {
	e := newEnv(t, 1, nil)
	p := testPhone(0)
	d := e.dialog(newClient(t), p, "udp")
	before := e.clock.now()
	res := d.register("SHA-256", []string{contactA}, expires(300))
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER: %d", res.StatusCode)
	}
	items := e.bindingItems(p.id)
	if len(items) != 1 {
		t.Fatalf("binding items = %+v", items)
	}
	b := items[0]
	if b.Type != model.TypeBinding || b.Account != testAccount || b.Device != p.id || b.Contact != contactA ||
		b.Node != "node-test" || b.Transport != "udp" || b.UserAgent != "phone-test/1.0" || b.Source != sourceOf(res) {
		t.Errorf("binding item = %+v", b)
	}
	if lo, hi := before.Add(300*time.Second).Unix(), e.clock.now().Add(300*time.Second).Unix(); b.Expires < lo || b.Expires > hi {
		t.Errorf("ttl %d, want between %d and %d", b.Expires, lo, hi)
	}
	if want := model.BindingKey(testAccount, p.id, e.reg.Bindings(p.id)[0].ID); b.SK != want.SK {
		t.Errorf("sort key %s, want %s", b.SK, want.SK)
	}

	// A refresh soon after moves the expiry by less than a third of the
	// interval: nothing new is written.
	e.clock.advance(10 * time.Second)
	if res := d.register("SHA-256", []string{contactA}, expires(300)); res.StatusCode != sip.StatusOK {
		t.Fatalf("refresh: %d", res.StatusCode)
	}
	if got := e.bindingItems(p.id); len(got) != 1 || got[0].Expires != b.Expires {
		t.Errorf("after an early refresh: %+v, want the item unchanged", got)
	}
	// A later refresh moves it far enough.
	e.clock.advance(150 * time.Second)
	if res := d.register("SHA-256", []string{contactA}, expires(300)); res.StatusCode != sip.StatusOK {
		t.Fatalf("refresh: %d", res.StatusCode)
	}
	if got := e.bindingItems(p.id); len(got) != 1 || got[0].Expires < b.Expires+150 {
		t.Errorf("after a later refresh: %+v, want the ttl moved by 160 s", got)
	}

	if res := d.register("SHA-256", []string{contactA}, expires(0)); res.StatusCode != sip.StatusOK {
		t.Fatalf("unregister: %d", res.StatusCode)
	}
	if got := e.bindingItems(p.id); len(got) != 0 {
		t.Errorf("binding items after unregister: %+v", got)
	}
}

func TestExpires(t *testing.T) {
	e := newEnv(t, 1, nil)
	p := testPhone(0)
	d := e.dialog(newClient(t), p, "udp")
	tests := []struct {
		name     string
		contacts []string
		headers  []sip.Header
		status   int
		want     map[string]string // contact -> expires in the 200
	}{
		{name: "too brief", contacts: []string{contactA}, headers: []sip.Header{expires(30)}, status: 423},
		{name: "too brief in the contact", contacts: []string{contactA + ";expires=59"}, headers: []sip.Header{expires(600)}, status: 423},
		{name: "capped", contacts: []string{contactA}, headers: []sip.Header{expires(3600)}, status: 200,
			want: map[string]string{contactA: "600"}},
		{name: "no Expires", contacts: []string{"sip:phone@192.0.2.10:5062"}, status: 200,
			want: map[string]string{contactA: "600", "sip:phone@192.0.2.10:5062": "600"}},
		{name: "query", status: 200,
			want: map[string]string{contactA: "600", "sip:phone@192.0.2.10:5062": "600"}},
		{name: "contact expires wins", contacts: []string{contactA + ";expires=120"}, headers: []sip.Header{expires(600)}, status: 200,
			want: map[string]string{contactA: "120", "sip:phone@192.0.2.10:5062": "600"}},
		{name: "bad Expires", contacts: []string{contactA}, headers: []sip.Header{sip.NewHeader("Expires", "soon")}, status: 400},
		{name: "star without Expires 0", contacts: []string{"*"}, headers: []sip.Header{expires(60)}, status: 400},
		{name: "star with another contact", contacts: []string{"*", contactA}, headers: []sip.Header{expires(0)}, status: 400},
		{name: "unregister one", contacts: []string{contactA}, headers: []sip.Header{expires(0)}, status: 200,
			want: map[string]string{"sip:phone@192.0.2.10:5062": "600"}},
		{name: "unregister all", contacts: []string{"*"}, headers: []sip.Header{expires(0)}, status: 200,
			want: map[string]string{}},
		{name: "required extension", contacts: []string{contactA}, headers: []sip.Header{sip.NewHeader("Require", "gruu")}, status: 420},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := d.register("SHA-256", tt.contacts, tt.headers...)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d %s, want %d", res.StatusCode, res.Reason, tt.status)
			}
			switch tt.status {
			case 423:
				if header(res, "Min-Expires") != "60" {
					t.Errorf("Min-Expires = %q, want 60", header(res, "Min-Expires"))
				}
			case 420:
				if header(res, "Unsupported") != "gruu" {
					t.Errorf("Unsupported = %q", header(res, "Unsupported"))
				}
			case 200:
				got := contactExpires(t, res)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("contacts = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestContactLimit(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.MaxContacts = 3 })
	p := testPhone(0)
	c := newClient(t)
	for i := range 4 {
		// Each from a dialog of its own, as after a phone's restart.
		d := e.dialog(c, p, "udp")
		e.clock.advance(time.Second)
		if res := d.register("MD5", []string{fmt.Sprintf("sip:phone@192.0.2.%d:5060", i+1)}); res.StatusCode != sip.StatusOK {
			t.Fatalf("REGISTER %d: %d", i, res.StatusCode)
		}
	}
	var got []string
	for _, b := range e.reg.Bindings(p.id) {
		got = append(got, b.Contact.String())
	}
	want := []string{"sip:phone@192.0.2.2:5060", "sip:phone@192.0.2.3:5060", "sip:phone@192.0.2.4:5060"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bindings = %v, want the three newest %v", got, want)
	}
	if items := e.bindingItems(p.id); len(items) != 3 {
		t.Errorf("%d binding items, want 3", len(items))
	}

	t.Run("several contacts in one request", func(t *testing.T) {
		d := e.dialog(c, p, "tcp")
		res := d.register("SHA-256", []string{"*"}, expires(0))
		if res.StatusCode != sip.StatusOK {
			t.Fatal(res.StatusCode)
		}
		res = d.register("SHA-256", []string{"sip:a@192.0.2.1", "sip:b@192.0.2.1;transport=tcp"}, expires(120))
		if got := contactExpires(t, res); res.StatusCode != sip.StatusOK || len(got) != 2 {
			t.Fatalf("%d, contacts %v", res.StatusCode, got)
		}
	})
}

func TestRefused(t *testing.T) {
	e := newEnv(t, 3, nil)
	c := newClient(t)

	t.Run("To names another device", func(t *testing.T) {
		d := e.dialog(c, testPhone(0), "udp")
		req := d.request([]string{contactA})
		req.To().Address.User = testPhone(1).id
		res := d.send(req)
		d.answer(req, res, "SHA-256", testPhone(0).password)
		if res := d.send(req, sipgoAddVia); res.StatusCode != sip.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})

	disabled := fixture.Phone(testAccount, testPhone(1).id, "w0", testRealm, testPhone(1).password)
	disabled.Enabled = false
	fixture.Put(t, e.db, disabled)
	e.sync()
	t.Run("disabled device", func(t *testing.T) {
		if res := e.dialog(c, testPhone(1), "udp").register("SHA-256", []string{contactA}); res.StatusCode != sip.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})

	// A registered phone whose user gets locked is refused from then on.
	d := e.dialog(c, testPhone(2), "udp")
	if res := d.register("MD5", []string{contactA}); res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER: %d", res.StatusCode)
	}
	u := fixture.User(testAccount, "w0", "10")
	u.Locked = true
	fixture.Put(t, e.db, u)
	e.sync()
	t.Run("locked user", func(t *testing.T) {
		if res := d.register("MD5", []string{contactA}); res.StatusCode != sip.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
		// The sweep drops the bindings of a device that may no longer
		// register, and deletes their items.
		e.reg.sweep()
		if bs := e.reg.Bindings(testPhone(2).id); len(bs) != 0 {
			t.Errorf("bindings after the sweep: %+v", bs)
		}
		if items := e.bindingItems(testPhone(2).id); len(items) != 0 {
			t.Errorf("binding items after the sweep: %+v", items)
		}
	})
	u.Locked = false
	fixture.Put(t, e.db, u)
	a := fixture.Account(testAccount)
	a.Locked = true
	fixture.Put(t, e.db, a)
	e.sync()
	t.Run("locked account", func(t *testing.T) {
		if res := d.register("MD5", []string{contactA}); res.StatusCode != sip.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
}

func TestFailedAuthentication(t *testing.T) {
	// Here the address is blocked as soon as the device: TestNeighbours
	// has the defaults, where it is not.
	e := newEnv(t, 2, func(c *Config) { c.FailureLimit, c.SourceFailureLimit = 4, 4 })
	c := newClient(t)

	t.Run("wrong password", func(t *testing.T) {
		d := e.dialog(c, testPhone(0), "udp")
		for i := range 3 {
			if res := d.registerWith("SHA-256", "wrong", []string{contactA}); res.StatusCode != sip.StatusUnauthorized {
				t.Fatalf("attempt %d: %d, want 401", i+1, res.StatusCode)
			}
		}
		// The fourth failure reaches the limit: blocked.
		if res := d.registerWith("MD5", "wrong", []string{contactA}); res.StatusCode != sip.StatusForbidden {
			t.Fatalf("attempt 4: %d, want 403", res.StatusCode)
		}
		// Now even the right password is refused, and so is the first
		// REGISTER of any device from this address.
		req := d.request([]string{contactA})
		if res := d.send(req); res.StatusCode != sip.StatusForbidden {
			t.Errorf("REGISTER while blocked: %d, want 403", res.StatusCode)
		}
		// A new client from another source port has the same address:
		// still blocked.
		if res := e.dialog(newClient(t), testPhone(1), "tcp").register("MD5", []string{contactA}); res.StatusCode != sip.StatusForbidden {
			t.Errorf("other device, same address: %d, want 403", res.StatusCode)
		}
		// After the block, the right password works.
		e.clock.advance(DefaultBlockFor + time.Second)
		if res := d.register("SHA-256", []string{contactA}); res.StatusCode != sip.StatusOK {
			t.Errorf("after the block: %d, want 200", res.StatusCode)
		}
	})

	t.Run("unknown device looks like a wrong password", func(t *testing.T) {
		ghost := phone{id: testAccount + "e99", password: "whatever"}
		d := e.dialog(c, ghost, "udp")
		req := d.request([]string{contactA})
		res := d.send(req)
		if res.StatusCode != sip.StatusUnauthorized || len(res.GetHeaders("WWW-Authenticate")) != 2 {
			t.Fatalf("first REGISTER of an unknown device: %d", res.StatusCode)
		}
		d.answer(req, res, "SHA-256", ghost.password)
		if res := d.send(req, sipgoAddVia); res.StatusCode != sip.StatusUnauthorized {
			t.Errorf("answer for an unknown device: %d, want 401 like a wrong password", res.StatusCode)
		}
	})
}

func TestStaleNonce(t *testing.T) {
	e := newEnv(t, 1, nil)
	p := testPhone(0)
	d := e.dialog(newClient(t), p, "udp")
	req := d.request([]string{contactA})
	res := d.send(req)
	e.clock.advance(DefaultNonceLifetime + time.Minute)

	t.Run("right password", func(t *testing.T) {
		d.answer(req, res, "SHA-256", p.password)
		res := d.send(req, sipgoAddVia)
		if res.StatusCode != sip.StatusUnauthorized || !findChallenge(t, res, "SHA-256").Stale || !findChallenge(t, res, "MD5").Stale {
			t.Fatalf("%d, want 401 with stale=true:\n%s", res.StatusCode, res)
		}
		// The phone answers the fresh nonce without asking its user.
		d.answer(req, res, "MD5", p.password)
		if res := d.send(req, sipgoAddVia); res.StatusCode != sip.StatusOK {
			t.Errorf("with the fresh nonce: %d, want 200", res.StatusCode)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		e.clock.advance(DefaultNonceLifetime + time.Minute)
		d.answer(req, res, "SHA-256", "wrong")
		res := d.send(req, sipgoAddVia)
		if res.StatusCode != sip.StatusUnauthorized || findChallenge(t, res, "SHA-256").Stale {
			t.Fatalf("%d, want 401 without stale", res.StatusCode)
		}
	})
}

func TestConfig(t *testing.T) {
	db := fixture.Open(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no realm", Config{}},
		{"realm with a quote", Config{Realm: `a"b`}},
		{"short secret", Config{Realm: "x", NonceSecret: []byte("short")}},
		{"min above max", Config{Realm: "x", MinExpires: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, directory.New(nil), db, slog.New(slog.DiscardHandler)); err == nil {
				t.Error("New accepted a bad config")
			}
		})
	}
	if _, err := New(Config{Realm: "x"}, nil, db, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("New accepted a nil directory")
	}
}

// TestRegisterChallenges: a registrar set to MD5 alone offers one
// challenge, which an MD5 phone answers; an unknown algorithm is refused.
func TestRegisterChallenges(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.Challenges = []string{"MD5"} })
	c := newClient(t)
	p := testPhone(0)
	d := e.dialog(c, p, "udp")
	req := d.request([]string{contactA}, expires(600))
	res := d.send(req)
	chals := res.GetHeaders("WWW-Authenticate")
	if res.StatusCode != sip.StatusUnauthorized || len(chals) != 1 || !strings.Contains(chals[0].Value(), "algorithm=MD5") {
		t.Fatalf("first REGISTER: %d, challenges %v; want 401 with MD5 alone", res.StatusCode, chals)
	}
	d.answer(req, res, "MD5", p.password)
	if res = d.send(req, sipgoAddVia); res.StatusCode != sip.StatusOK {
		t.Fatalf("authenticated REGISTER: %d %s", res.StatusCode, res.Reason)
	}
	bad := Config{Realm: testRealm, Challenges: []string{"SHA-1"}}
	if err := bad.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if err := bad.validate(); err == nil {
		t.Error("an unknown challenge algorithm was accepted")
	}
}

// TestNeighbours: with the default limits, a phone that keeps failing
// blocks itself, not the address it shares with other phones (an office
// behind one NAT): they register on.
func TestNeighbours(t *testing.T) {
	e := newEnv(t, 2, nil)
	c := newClient(t)
	broken := e.dialog(c, testPhone(0), "udp")
	for i := range DefaultFailureLimit {
		res := broken.registerWith("MD5", "wrong", []string{contactA})
		if want := sip.StatusUnauthorized; i == DefaultFailureLimit-1 {
			if res.StatusCode != sip.StatusForbidden {
				t.Fatalf("failure %d: %d, want 403", i+1, res.StatusCode)
			}
		} else if res.StatusCode != want {
			t.Fatalf("failure %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	if res := broken.register("MD5", []string{contactA}); res.StatusCode != sip.StatusForbidden {
		t.Errorf("the blocked phone with its right password: %d, want 403", res.StatusCode)
	}
	if res := e.dialog(c, testPhone(1), "udp").register("MD5", []string{"sip:other@192.0.2.11:5060"}); res.StatusCode != sip.StatusOK {
		t.Errorf("a neighbour from the same address: %d, want 200", res.StatusCode)
	}
}
