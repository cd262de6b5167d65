package calls

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/shared/model"
)

func TestResolve(t *testing.T) {
	r := unitRouter(t, func(w *world) {
		other := fixture.Account("7654321")
		w.extra = append(w.extra, other,
			fixture.Phone("7654321", "7654321e0", "w0", testRealm, "x"),
			fixture.Number("7654321", "+492111234569", model.RouteUser, "w0"))
		w.numbers = append(w.numbers, fixture.Number(testAccount, "+492111234563", model.RouteDevice, device(3)))
	}, Config{})
	tests := []struct {
		dialled string
		want    destination
		ok      bool
	}{
		{"10", destination{kind: destUser, account: testAccount, id: "w0"}, true},
		{"20", destination{kind: destGroup, account: testAccount, id: "g0"}, true},
		{"02111234561", destination{kind: destUser, account: testAccount, id: "w1", number: numW1}, true},
		{"+492111234562", destination{kind: destGroup, account: testAccount, id: "g0", number: numG0}, true},
		{"00492111234563", destination{kind: destDevice, account: testAccount, id: device(3), number: "+492111234563"}, true},
		{"1234567w1", destination{kind: destUser, account: testAccount, id: "w1"}, true},
		{"w2", destination{kind: destUser, account: testAccount, id: "w2"}, true},
		{"1234567g0", destination{kind: destGroup, account: testAccount, id: "g0"}, true},
		{device(3), destination{kind: destDevice, account: testAccount, id: device(3)}, true},
		{"03012345678", destination{kind: destExternal, account: testAccount, number: "+493012345678"}, true},
		{"+16502530000", destination{kind: destExternal, account: testAccount, number: "+16502530000"}, true},
		// Another account's number is outside for this one.
		{"02111234569", destination{kind: destExternal, account: testAccount, number: "+492111234569"}, true},
		{"112", destination{kind: destExternal, account: testAccount, number: "112", emergency: true}, true},
		{"110", destination{kind: destExternal, account: testAccount, number: "110", emergency: true}, true},
		{"99", destination{}, false},
		{"7654321e0", destination{}, false},
		{"1234567w9", destination{}, false},
		{"12345", destination{}, false},
	}
	for _, tt := range tests {
		got, ok := r.resolve(testAccount, tt.dialled)
		if ok != tt.ok || got != tt.want {
			t.Errorf("resolve(%q) = %+v, %v; want %+v, %v", tt.dialled, got, ok, tt.want, tt.ok)
		}
	}
}

func TestResolveInbound(t *testing.T) {
	r := unitRouter(t, func(w *world) {
		w.numbers[0].Active = false
	}, Config{})
	tests := []struct {
		dialled string
		want    destination
		ok      bool
	}{
		{"492111234561", destination{kind: destUser, account: testAccount, id: "w1", number: numW1}, true},
		{"+492111234561", destination{kind: destUser, account: testAccount, id: "w1", number: numW1}, true},
		{"02111234562", destination{kind: destGroup, account: testAccount, id: "g0", number: numG0}, true},
		{"492111234560", destination{}, false}, // inactive: the location is not verified
		{"493012345678", destination{}, false}, // not ours
		{"10", destination{}, false},
		{"w0", destination{}, false},
	}
	for _, tt := range tests {
		got, ok := r.resolveInbound(tt.dialled)
		if ok != tt.ok || got != tt.want {
			t.Errorf("resolveInbound(%q) = %+v, %v; want %+v, %v", tt.dialled, got, ok, tt.want, tt.ok)
		}
		// Events and records name the number in E.164 digits, in
		// whatever form the trunk dialled it.
		if ok && got.label(tt.dialled) != strings.TrimPrefix(tt.want.number, "+") {
			t.Errorf("label of %q = %q, want %s's digits", tt.dialled, got.label(tt.dialled), tt.want.number)
		}
	}
}

func TestAggregate(t *testing.T) {
	tests := []struct {
		codes []int
		want  int
		cause string
	}{
		{[]int{480, 486, 603}, 486, CauseBusy},
		{[]int{600}, 486, CauseBusy},
		{[]int{480, 603}, 603, CauseDeclined},
		{[]int{404, 404}, 404, CauseNotFound},
		{[]int{404, 408}, 480, CauseUnavailable},
		{[]int{503}, 480, CauseUnavailable},
	}
	for _, tt := range tests {
		if got := aggregate(tt.codes); got.status != tt.want || got.cause != tt.cause {
			t.Errorf("aggregate(%v) = %d %s, want %d %s", tt.codes, got.status, got.cause, tt.want, tt.cause)
		}
	}
}

// A forwarded leg is named by a number: the account's number or the
// external one it goes to, the target user's own number, else the number
// first dialled.
func TestForwardedTo(t *testing.T) {
	r := unitRouter(t, nil, Config{})
	c := &call{r: r, account: testAccount, to: "492111234561"}
	for _, tt := range []struct {
		target string
		want   string
	}{
		{"10", "492111234560"},  // w0's extension; w0's caller id is its number
		{"11", "492111234561"},  // w1 has no number of its own: as first dialled
		{"20", "492111234561"},  // a group: as first dialled
		{numG0, "492111234562"}, // one of the account's numbers
		{"030 12345678", "493012345678"},
	} {
		next, ok := r.resolve(testAccount, dialledForm(tt.target))
		if !ok {
			t.Fatalf("resolve %q", tt.target)
		}
		if got := c.forwardedTo(next, tt.target); got != tt.want {
			t.Errorf("forwarded to %q: named %q, want %q", tt.target, got, tt.want)
		}
	}
}

// dialledForm drops the spaces phones leave out.
func dialledForm(s string) string { return strings.ReplaceAll(s, " ", "") }

// A 407 offers the configured digest algorithms, in order, with one
// nonce; an algorithm the B2BUA does not know is refused.
func TestChallenges(t *testing.T) {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "10", Host: testRealm})
	for _, tt := range []struct {
		challenges []string
		want       []string
	}{
		{nil, []string{"MD5", "SHA-256"}},
		{[]string{"MD5"}, []string{"MD5"}},
		{[]string{"SHA-256", "MD5"}, []string{"SHA-256", "MD5"}},
	} {
		r := unitRouter(t, nil, Config{Challenges: tt.challenges})
		res := r.challenge(req, time.Now(), false)
		var algs, nonces []string
		for _, h := range res.GetHeaders("Proxy-Authenticate") {
			c, err := digest.ParseChallenge(h.Value())
			if err != nil {
				t.Fatal(err)
			}
			algs, nonces = append(algs, c.Algorithm), append(nonces, c.Nonce)
		}
		if !slices.Equal(algs, tt.want) || len(slices.Compact(nonces)) != 1 {
			t.Errorf("challenges %v: 407 offers %v with nonces %v", tt.challenges, algs, nonces)
		}
	}
	cfg := Config{Realm: testRealm, Challenges: []string{"SHA-512-256"}, NonceSecret: []byte("0123456789abcdef")}
	cfg.setDefaults()
	if err := cfg.validate(); err == nil {
		t.Error("an unknown challenge algorithm was accepted")
	}
}
