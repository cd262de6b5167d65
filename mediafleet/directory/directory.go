package directory

import (
	"log/slog"
	"slices"
	"sync"

	"github.com/switchboard/switchboard/shared/model"
)

// Account is what the fleet knows of an account.
type Account struct {
	ID      string
	Locked  bool
	Version int64
}

// User is a person of an account, as calls and registrations need it.
type User struct {
	Account    string
	ID         string // short id within the account, e.g. w0
	Name       string
	Locked     bool
	Extension  string
	CallerID   string
	Forwarding []model.Forward
	Version    int64
}

// Device is an endpoint: a phone that registers, an external phone rung
// through the trunk, a voicemail box or a fax.
type Device struct {
	ID       string // global id, e.g. 1234567e0
	Account  string
	Owner    string // user id, or group id for a group's voicemail or fax
	Kind     string // model.DevicePhone, DeviceExternal, DeviceVoicemail, DeviceFax
	Name     string
	Enabled  bool
	External string // E.164 of an external phone
	// Digest credentials of a phone: hex HA1 of "id:realm:password".
	Realm     string
	HA1MD5    string
	HA1SHA256 string
	Version   int64
}

// Group is a set of users reachable under one extension and number.
type Group struct {
	Account    string
	ID         string
	Name       string
	Extension  string
	Members    []string
	Forwarding []model.Forward
	Version    int64
}

// Number is a phone number of an account and where it rings.
type Number struct {
	Account string
	E164    string
	Active  bool
	Route   string // model.RouteUser, RouteDevice, RouteGroup or RouteNone
	Target  string
	Device  string
	Version int64
}

// Target is what an extension of an account reaches.
type Target struct {
	Kind string // model.TypeUser or model.TypeGroup
	ID   string
}

// Credentials is what authenticating a device needs, read at once.
type Credentials struct {
	Device *Device
	// Locked is true when the device's owner (a user) or its account is
	// locked: it may not register or call even with the right password.
	Locked bool
}

// key addresses an entity within an account.
type key struct{ account, id string }

// state is one complete view. Load builds a new one and swaps it in;
// Apply changes the current one under the write lock.
type state struct {
	accounts map[string]*Account
	users    map[key]*User
	devices  map[string]*Device
	groups   map[key]*Group
	numbers  map[string]*Number
	exts     map[key]Target              // (account, extension) -> user or group
	owned    map[key]map[string]struct{} // (account, owner) -> device ids
}

func newState() *state {
	return &state{
		accounts: map[string]*Account{},
		users:    map[key]*User{},
		devices:  map[string]*Device{},
		groups:   map[key]*Group{},
		numbers:  map[string]*Number{},
		exts:     map[key]Target{},
		owned:    map[key]map[string]struct{}{},
	}
}

// Directory is the fleet's view of all accounts. The zero value is not
// usable; call New.
type Directory struct {
	log *slog.Logger

	mu sync.RWMutex
	st *state
	// last is the sequence number of the newest notification applied
	// since the last Load ("" before any).
	last string
}

// New returns an empty directory. Fill it with Load.
func New(logger *slog.Logger) *Directory {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Directory{log: logger.With("component", "directory"), st: newState()}
}

// Device returns the device with the global id, e.g. 1234567e0.
func (d *Directory) Device(id string) (*Device, bool) {
	d.mu.RLock()
	dev, ok := d.st.devices[id]
	d.mu.RUnlock()
	return dev, ok
}

// Credentials returns device id together with whether its owner or account
// is locked, in one read.
func (d *Directory) Credentials(id string) (Credentials, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	dev, ok := d.st.devices[id]
	if !ok {
		return Credentials{}, false
	}
	c := Credentials{Device: dev}
	if a, ok := d.st.accounts[dev.Account]; ok && a.Locked {
		c.Locked = true
	}
	if u, ok := d.st.users[key{dev.Account, dev.Owner}]; ok && u.Locked {
		c.Locked = true
	}
	return c, true
}

// Account returns the account with the id.
func (d *Directory) Account(id string) (*Account, bool) {
	d.mu.RLock()
	a, ok := d.st.accounts[id]
	d.mu.RUnlock()
	return a, ok
}

// User returns the user id (short form, e.g. w0) of an account.
func (d *Directory) User(account, id string) (*User, bool) {
	d.mu.RLock()
	u, ok := d.st.users[key{account, id}]
	d.mu.RUnlock()
	return u, ok
}

// Group returns the group id (e.g. g0) of an account.
func (d *Directory) Group(account, id string) (*Group, bool) {
	d.mu.RLock()
	g, ok := d.st.groups[key{account, id}]
	d.mu.RUnlock()
	return g, ok
}

// Number returns the number in E.164 form, e.g. +4921112345678.
func (d *Directory) Number(e164 string) (*Number, bool) {
	d.mu.RLock()
	n, ok := d.st.numbers[e164]
	d.mu.RUnlock()
	return n, ok
}

// Extension returns the user or group an internal extension of an account
// reaches.
func (d *Directory) Extension(account, ext string) (Target, bool) {
	d.mu.RLock()
	t, ok := d.st.exts[key{account, ext}]
	d.mu.RUnlock()
	return t, ok
}

// Extensions returns the extensions in use in an account, sorted.
func (d *Directory) Extensions(account string) []string {
	d.mu.RLock()
	var out []string
	for k := range d.st.exts {
		if k.account == account {
			out = append(out, k.id)
		}
	}
	d.mu.RUnlock()
	slices.Sort(out)
	return out
}

// Devices returns the devices a user or group (by short id) of an account
// owns, sorted by id.
func (d *Directory) Devices(account, owner string) []*Device {
	d.mu.RLock()
	ids := d.st.owned[key{account, owner}]
	out := make([]*Device, 0, len(ids))
	for id := range ids {
		if dev, ok := d.st.devices[id]; ok {
			out = append(out, dev)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Device) int { return compareIDs(a.ID, b.ID) })
	return out
}

// Counts reports how many entities of each kind the directory holds, for
// start-up logs and tests.
type Counts struct {
	Accounts, Users, Devices, Groups, Numbers int
}

// Counts returns the current counts.
func (d *Directory) Counts() Counts {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return Counts{
		Accounts: len(d.st.accounts), Users: len(d.st.users), Devices: len(d.st.devices),
		Groups: len(d.st.groups), Numbers: len(d.st.numbers),
	}
}

// compareIDs orders ids that end in a counter naturally (e2 before e10).
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
