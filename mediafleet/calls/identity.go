package calls

import (
	"github.com/emiago/sipgo/sip"
)

// presentation is the From of a fork's INVITE: who the callee sees
// calling (U5).
//
// Toward the trunk, an internal caller presents the user's caller id (an
// E.164 number of the account) or, without one, is anonymous: From
// "Anonymous" <sip:anonymous@anonymous.invalid> and Privacy: id (RFC
// 3323). A call from the trunk forwarded out again presents its original
// caller's number when there is one.
//
// Toward a phone, an internal caller shows with the user's name and
// extension (so that the phone can call back), and a caller from outside
// with its number in E.164 and the display name the trunk gave.
func (c *call) presentation(t target) (from *sip.FromHeader, privacy bool) {
	from = &sip.FromHeader{Params: sip.NewParams()}
	number := c.caller.number
	if !c.caller.trunk {
		number = c.callerID()
	}
	if c.caller.peer {
		// As the node that took the call presented the caller.
		from.DisplayName = c.caller.display
		from.Address = sip.Uri{Scheme: "sip", User: c.caller.fromUser, Host: c.r.cfg.Realm}
		return from, c.caller.privacy
	}
	c.mu.Lock()
	present := c.present
	c.mu.Unlock()
	if present.number != "" {
		number = present.number
	}
	if present.anonymous {
		from.DisplayName = "Anonymous"
		host := c.r.cfg.Realm
		if t.trunk() {
			host = "anonymous.invalid"
		}
		from.Address = sip.Uri{Scheme: "sip", User: anonymous, Host: host}
		return from, true
	}
	if t.trunk() {
		if number == "" {
			from.DisplayName = "Anonymous"
			from.Address = sip.Uri{Scheme: "sip", User: anonymous, Host: "anonymous.invalid"}
			return from, true
		}
		from.Address = sip.Uri{Scheme: "sip", User: number, Host: c.r.trunkHost}
		return from, false
	}
	from.DisplayName = c.caller.display
	user := number
	switch {
	case c.caller.trunk && number == "":
		from.DisplayName, user = "Anonymous", anonymous
	case !c.caller.trunk && c.caller.user != nil && c.caller.user.Extension != "":
		user = c.caller.user.Extension
	case !c.caller.trunk && number == "":
		user = c.caller.device.ID
	}
	from.Address = sip.Uri{Scheme: "sip", User: user, Host: c.r.cfg.Realm}
	return from, false
}
