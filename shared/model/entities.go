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
	// Counters that hand out the short ids (w0, e0, g0, c0) and count what
	// the plan limits. Writers that use them condition on the account's
	// version, so two creations never take the same id.
	NextUser    int `dynamodbav:"nextUser"`
	NextDevice  int `dynamodbav:"nextDevice"`
	NextGroup   int `dynamodbav:"nextGroup"`
	NextContact int `dynamodbav:"nextContact"`
	Users       int `dynamodbav:"users"`
	Groups      int `dynamodbav:"groups"`
	// Extension length, 2..4 digits unless the admin changes it.
	ExtMin int `dynamodbav:"extMin"`
	ExtMax int `dynamodbav:"extMax"`
	// The free minutes of the welcome voucher (A0), consumed by billing.
	FreeLandline int `dynamodbav:"freeLandline"`
	FreeMobile   int `dynamodbav:"freeMobile"`
	// Prepaid balance in hundredths of a cent.
	Balance int64 `dynamodbav:"balance"`
	// Every account is listed in GSI2 under AccountsIndexPK, so the fleet
	// can load a snapshot of all accounts without a scan.
	ListPK string `dynamodbav:"GSI2PK,omitempty"`
	ListSK string `dynamodbav:"GSI2SK,omitempty"`
}

// User is a person of an account.
type User struct {
	Common
	Account string `dynamodbav:"account"`
	ID      string `dynamodbav:"id"` // short id, e.g. w0; the full id is account + id
	Name    string `dynamodbav:"name"`
	Email   string `dynamodbav:"email"`
	Admin   bool   `dynamodbav:"admin,omitempty"`
	Locked  bool   `dynamodbav:"locked,omitempty"`
	// MayChangeRouting lets the user route own numbers (A10).
	MayChangeRouting bool   `dynamodbav:"mayChangeRouting,omitempty"`
	Location         string `dynamodbav:"location,omitempty"`
	Language         string `dynamodbav:"language,omitempty"` // de or en
	Extension        string `dynamodbav:"extension,omitempty"`
	CallerID         string `dynamodbav:"callerId,omitempty"` // E.164 of one of the user's numbers, or "anonymous"
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
	// Device, for RouteUser: ring only this one of the user's phones
	// instead of all of them.
	Device string `dynamodbav:"device,omitempty"`
	// Test numbers (01801) come with a new account.
	Test bool `dynamodbav:"test,omitempty"`
	// GSI1 lookup by E.164 for inbound routing.
	LookupPK string `dynamodbav:"GSI1PK,omitempty"`
	LookupSK string `dynamodbav:"GSI1SK,omitempty"`
}

// SetVersion records the store's version of the item an entity was read
// from, for a later conditional write.
func (c *Common) SetVersion(v int64) { c.Version = v }
