package model

import "time"

// Common carries what every stored entity has: its key, its type, its
// version and timestamps. Entities embed it.
type Common struct {
	PK      string    `dynamodbav:"PK"`
	SK      string    `dynamodbav:"SK"`
	Type    string    `dynamodbav:"type"`
	Version int64     `dynamodbav:"v,omitempty"`
	Created time.Time `dynamodbav:"created,omitempty"`
	Updated time.Time `dynamodbav:"updated,omitempty"`
}

// Account is a customer of Switchboard: a company with its plan.
type Account struct {
	Common
	ID      string `dynamodbav:"id"`      // seven digits, e.g. 1234567
	Company string `dynamodbav:"company"` // company name
	Plan    string `dynamodbav:"plan"`    // plan id from the catalogue
	Locked  bool   `dynamodbav:"locked,omitempty"`
}

// User is a person of an account.
type User struct {
	Common
	Account   string `dynamodbav:"account"`
	ID        string `dynamodbav:"id"` // short id, e.g. w0; the full id is account + id
	Name      string `dynamodbav:"name"`
	Email     string `dynamodbav:"email"`
	Admin     bool   `dynamodbav:"admin,omitempty"`
	Locked    bool   `dynamodbav:"locked,omitempty"`
	Extension string `dynamodbav:"extension,omitempty"`
	CallerID  string `dynamodbav:"callerId,omitempty"` // E.164 of one of the user's numbers, or "anonymous"
	// Forwarding rules are evaluated by the fleet in order.
	Forwarding []Forward `dynamodbav:"forwarding,omitempty"`
}

// FullID is the account-wide id of a user, e.g. 1234567w0.
func (u User) FullID() string { return u.Account + u.ID }

// Forward is one call-forwarding rule.
type Forward struct {
	When   string `dynamodbav:"when"`            // always, busy, noAnswer, unavailable
	After  int    `dynamodbav:"after,omitempty"` // seconds, for noAnswer
	Target string `dynamodbav:"target"`          // an extension or an E.164 number
}

// Device kinds.
const (
	DevicePhone     = "phone"     // a SIP phone or softphone that registers
	DeviceExternal  = "external"  // a mobile or landline rung through the trunk
	DeviceVoicemail = "voicemail" // a mailbox
	DeviceFax       = "fax"
)

// Device is an endpoint of a user: a phone, an external phone, a voicemail
// box or a fax. Its id is the account id, "e" and a counter (1234567e0).
type Device struct {
	Common
	Account string `dynamodbav:"account"`
	ID      string `dynamodbav:"id"`
	Owner   string `dynamodbav:"owner,omitempty"` // user id, or group id for a group's voicemail/fax
	Kind    string `dynamodbav:"kind"`
	Name    string `dynamodbav:"name"`
	Enabled bool   `dynamodbav:"enabled"`
	// SIP credentials of a phone: the fleet needs only the HA1 digests of
	// id:realm:password; the password itself is stored encrypted for the
	// console and never decoded by the fleet.
	Realm     string `dynamodbav:"realm,omitempty"`
	HA1MD5    string `dynamodbav:"ha1md5,omitempty"`
	HA1SHA256 string `dynamodbav:"ha1sha256,omitempty"`
	Secret    []byte `dynamodbav:"secret,omitempty"` // encrypted SIP password
	// External phones: the E.164 number rung through the trunk.
	External string `dynamodbav:"external,omitempty"`
	// GSI1 lookup by global device id.
	LookupPK string `dynamodbav:"GSI1PK,omitempty"`
	LookupSK string `dynamodbav:"GSI1SK,omitempty"`
}

// Group is a set of users reachable under one extension and number.
type Group struct {
	Common
	Account    string    `dynamodbav:"account"`
	ID         string    `dynamodbav:"id"` // short id, e.g. g0
	Name       string    `dynamodbav:"name"`
	Extension  string    `dynamodbav:"extension,omitempty"`
	Members    []string  `dynamodbav:"members,omitempty"` // user ids
	Forwarding []Forward `dynamodbav:"forwarding,omitempty"`
}

// Route targets of a number.
const (
	RouteNone   = ""       // unassigned
	RouteUser   = "user"   // all of a user's phones (or one, with Device set)
	RouteDevice = "device" // exactly one endpoint
	RouteGroup  = "group"
)

// Number is a phone number of an account and where it rings.
type Number struct {
	Common
	Account string `dynamodbav:"account"`
	E164    string `dynamodbav:"e164"`             // +4921112345678
	Active  bool   `dynamodbav:"active"`           // inactive until its location is verified
	Route   string `dynamodbav:"route,omitempty"`  // RouteUser, RouteDevice, RouteGroup
	Target  string `dynamodbav:"target,omitempty"` // user, device or group id
	// GSI1 lookup by E.164 for inbound routing.
	LookupPK string `dynamodbav:"GSI1PK,omitempty"`
	LookupSK string `dynamodbav:"GSI1SK,omitempty"`
}
