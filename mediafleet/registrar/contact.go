package registrar

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// contactChange is one Contact of a REGISTER: bind the URI for expires,
// or remove its binding when expires is zero.
type contactChange struct {
	uri     sip.Uri
	key     string // the URI as text; bindings of a device are keyed by it
	expires time.Duration
}

// contactPlan is what a REGISTER asks for (RFC 3261 section 10.3, steps 6
// and 7): nothing (a query for the current bindings), removing every
// binding (Contact: * with Expires: 0), or a list of changes.
type contactPlan struct {
	removeAll bool
	changes   []contactChange
}

// requestError is a REGISTER the registrar refuses before touching any
// binding; it becomes the response's status.
type requestError struct {
	status int
	reason string
}

func (e *requestError) Error() string { return strconv.Itoa(e.status) + " " + e.reason }

func badRequest(reason string) *requestError {
	return &requestError{status: sip.StatusBadRequest, reason: reason}
}

// errTooBrief asks for a 423 with Min-Expires.
var errTooBrief = &requestError{status: 423, reason: "Interval Too Brief"}

// expiryLimits bound the registration interval.
type expiryLimits struct {
	min, max time.Duration
}

// parseContacts reads the Contact and Expires header fields of req. A
// contact's own expires parameter wins over the Expires header, which
// wins over the maximum (RFC 3261 would default to an hour; Switchboard
// caps every registration at the maximum anyway). A non-zero interval
// below the minimum fails the whole request with errTooBrief, and one
// above the maximum is cut to the maximum.
func parseContacts(req *sip.Request, lim expiryLimits) (contactPlan, error) {
	var plan contactPlan
	def := lim.max
	hasExpires := false
	if h := findHeader(req, "Expires"); h != nil {
		d, ok := parseSeconds(h.Value())
		if !ok {
			return plan, badRequest("Bad Expires")
		}
		def, hasExpires = d, true
	}
	contacts := 0
	for _, h := range req.Headers() {
		if _, ok := h.(*sip.ContactHeader); ok {
			contacts++
		}
	}
	for _, h := range req.Headers() {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard {
			// RFC 3261 section 10.3 step 6: "*" only alone and only
			// with Expires: 0.
			if contacts != 1 || !hasExpires || def != 0 {
				return plan, badRequest("Contact * requires Expires: 0 and no other contact")
			}
			plan.removeAll = true
			return plan, nil
		}
		exp := def
		if v, ok := c.Params.Get("expires"); ok {
			d, ok := parseSeconds(v)
			if !ok {
				return plan, badRequest("Bad Contact expires")
			}
			exp = d
		}
		if exp > 0 && exp < lim.min {
			return plan, errTooBrief
		}
		exp = min(exp, lim.max)
		plan.changes = append(plan.changes, contactChange{uri: c.Address, key: uriText(&c.Address), expires: exp})
	}
	return plan, nil
}

// uriText is uri.String() with the text written into one buffer sized
// up front.
func uriText(uri *sip.Uri) string {
	var b strings.Builder
	b.Grow(32 + len(uri.User) + len(uri.Host) + 32*len(uri.UriParams))
	uri.StringWrite(&b)
	return b.String()
}

// parseSeconds reads a delta-seconds value (RFC 3261 section 25.1). Values
// beyond 2^32-1 are taken as 2^32-1 (RFC 3261 section 20.19), which the
// caller then caps.
func parseSeconds(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > 1<<32-1 {
		n = 1<<32 - 1
	}
	return time.Duration(n) * time.Second, true
}
