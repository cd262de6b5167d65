package calls

import (
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/phone"
)

// destKind is what a dialled string reaches.
type destKind uint8

const (
	destUser     destKind = iota + 1 // all of a user's phones (or one, with only)
	destGroup                        // every member's phones
	destDevice                       // one endpoint
	destExternal                     // a number outside, through the trunk
)

// destination is a resolved call target.
type destination struct {
	kind    destKind
	account string
	id      string // user or group short id, or global device id
	only    string // destUser: ring only this device
	// number is, for destExternal, the E.164 number rung (or the
	// emergency number as dialled); for a destination one of the
	// account's numbers reaches, that number in E.164.
	number string
	// emergency marks 110 and 112: always put through, no rule applies.
	emergency bool
}

// label is how records and events name the destination: a number in
// E.164 digits, whatever form it was dialled in; else what was dialled.
func (d destination) label(dialled string) string {
	switch {
	case d.number != "":
		return phone.Digits(d.number)
	case dialled != "":
		return dialled
	}
	return d.id
}

// caller is who places a call: a phone of an account, or the trunk.
type caller struct {
	trunk   bool
	peer    bool              // another fleet node passed the call on (peer.go)
	device  *directory.Device // the calling phone; nil for the trunk
	user    *directory.User   // its owner, when a user owns it
	account string            // the calling phone's account; for the trunk, the called number's
	// number is the caller's E.164 number as the trunk presented it ("" when
	// anonymous or not a number); display its display name.
	number  string
	display string
	// fromUser and privacy are, for a call another node passed on, the
	// caller as that node presented it (peer.go).
	fromUser string
	privacy  bool
}

// dialled is the user part of the Request-URI, unescaped ("%2B49…" is
// "+49…"), without visual separators phones may leave in it.
func dialled(req *sip.Request) string {
	u := req.Recipient.User
	if s, err := url.PathUnescape(u); err == nil {
		u = s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '/':
			return -1
		}
		return r
	}, u)
}

// isNumber reports whether s looks like a telephone number: digits with
// an optional leading plus.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// resolve finds what a phone of account reaches by dialling d, in this
// order: an emergency number, an extension of the account (user or
// group), one of the account's own numbers, a user id (account-wide like
// 1234567w0, or short like w0), a device id of the account, and any other
// valid telephone number as an external one. ok is false when d reaches
// nothing.
func (r *Router) resolve(account, d string) (destination, bool) {
	dir := r.deps.Directory
	if phone.Emergency(d) {
		return destination{kind: destExternal, account: account, number: d, emergency: true}, true
	}
	if t, ok := dir.Extension(account, d); ok {
		return targetDest(account, t), true
	}
	if isNumber(d) {
		e164, err := phone.Normalize(d, r.cfg.Region)
		if err != nil {
			return destination{}, false
		}
		if n, ok := dir.Number(e164); ok && n.Account == account {
			return numberDest(n)
		}
		return destination{kind: destExternal, account: account, number: e164}, true
	}
	short := strings.TrimPrefix(d, account)
	if u, ok := dir.User(account, short); ok {
		return destination{kind: destUser, account: account, id: u.ID}, true
	}
	if g, ok := dir.Group(account, short); ok {
		return destination{kind: destGroup, account: account, id: g.ID}, true
	}
	if dev, ok := dir.Device(d); ok && dev.Account == account {
		return destination{kind: destDevice, account: account, id: dev.ID}, true
	}
	return destination{}, false
}

// resolveInbound finds the number a call from the trunk is for: the
// Request-URI's user in E.164, in digits without the plus, or in national
// form. Only active numbers of an account are reached.
func (r *Router) resolveInbound(d string) (destination, bool) {
	if !isNumber(d) {
		return destination{}, false
	}
	candidates := []string{d}
	if !strings.HasPrefix(d, "+") && !strings.HasPrefix(d, "0") {
		candidates = []string{"+" + d, d}
	}
	for _, c := range candidates {
		e164, err := phone.Normalize(c, r.cfg.Region)
		if err != nil {
			continue
		}
		if n, ok := r.deps.Directory.Number(e164); ok && n.Active {
			return numberDest(n)
		}
	}
	return destination{}, false
}

func targetDest(account string, t directory.Target) destination {
	if t.Kind == model.TypeGroup {
		return destination{kind: destGroup, account: account, id: t.ID}
	}
	return destination{kind: destUser, account: account, id: t.ID}
}

// numberDest is where a number rings (A10).
func numberDest(n *directory.Number) (destination, bool) {
	switch n.Route {
	case model.RouteUser:
		return destination{kind: destUser, account: n.Account, id: n.Target, only: n.Device, number: n.E164}, true
	case model.RouteDevice:
		return destination{kind: destDevice, account: n.Account, id: n.Target, number: n.E164}, true
	case model.RouteGroup:
		return destination{kind: destGroup, account: n.Account, id: n.Target, number: n.E164}, true
	}
	return destination{}, false
}

// inboundCaller describes the trunk's caller from the From header: its
// number in E.164 when it is one, "" when anonymous.
func (r *Router) inboundCaller(req *sip.Request) caller {
	c := caller{trunk: true}
	from := req.From()
	c.display = from.DisplayName
	u := from.Address.User
	if s, err := url.PathUnescape(u); err == nil {
		u = s
	}
	if strings.EqualFold(u, "anonymous") || !isNumber(u) {
		return c
	}
	if !strings.HasPrefix(u, "+") && !strings.HasPrefix(u, "0") {
		u = "+" + u
	}
	if e164, err := phone.Normalize(u, r.cfg.Region); err == nil {
		c.number = e164
	}
	return c
}
