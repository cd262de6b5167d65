package account

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Device limits.
const (
	maxNewDevices     = 8  // endpoints created with a user in one request
	maxDevicesPerUser = 20 // so deleting a user removes all its devices in one write
)

// DeviceInput is an endpoint to create for a user (A3 step 2, A4, P1).
type DeviceInput struct {
	Kind   string // model.DevicePhone, DeviceExternal, DeviceVoicemail or DeviceFax
	Name   string // shown in the console; a default by kind when empty
	Number string // external phones: the telephone number to ring
}

// DeviceUpdate changes a device; nil fields stay as they are.
type DeviceUpdate struct {
	Name    *string
	Enabled *bool
	Number  *string // external phones only
}

// DeviceInfo is a device as the API shows it.
type DeviceInfo struct {
	ID      string        `json:"id" doc:"Global device id: the account id, e and a counter, e.g. 1234567e0"`
	Kind    string        `json:"kind" enum:"phone,external,voicemail,fax"`
	Name    string        `json:"name"`
	Owner   string        `json:"owner" doc:"Id of the user the device belongs to"`
	Enabled bool          `json:"enabled"`
	Number  string        `json:"number,omitempty" doc:"External phones: the E.164 number rung in parallel with the user's phones"`
	Status  *DeviceStatus `json:"status,omitempty" doc:"Phones: whether and where the phone is registered"`
	Created time.Time     `json:"createdAt"`
}

// DeviceStatus says whether a phone is registered, and where (P1).
type DeviceStatus struct {
	Online        bool           `json:"online" doc:"The phone has at least one active registration"`
	Registrations []Registration `json:"registrations"`
}

// Registration is one active registration of a phone.
type Registration struct {
	Contact   string    `json:"contact" doc:"The contact URI the phone registered"`
	Source    string    `json:"source,omitempty" doc:"Address and port the registration came from"`
	Transport string    `json:"transport,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
	Expires   time.Time `json:"expiresAt"`
}

// DeviceRemoval says what went with a deleted device.
type DeviceRemoval struct {
	Device  string   `json:"device"`
	Numbers []string `json:"numbers" doc:"Numbers that no longer ring the device"`
}

var deviceKinds = map[string]string{
	model.DevicePhone: "Phone", model.DeviceExternal: "Mobile", model.DeviceVoicemail: "Voicemail", model.DeviceFax: "Fax",
}

// checkDevice validates a device to create and fills in its defaults; field is the JSON path of the device
// in the request ("devices[1]"), or "" when the body is the device.
func (s *Service) checkDevice(field string, in *DeviceInput) Errors {
	var errs Errors
	def, ok := deviceKinds[in.Kind]
	if !ok {
		errs.add(invalid(fieldPath(field, "kind"), "must be phone, external, voicemail or fax"))
	}
	name, err := text(fieldPath(field, "name"), in.Name, false, maxName)
	errs.add(err)
	if name == "" {
		name = def
	}
	in.Name = name
	switch {
	case in.Kind == model.DeviceExternal && strings.TrimSpace(in.Number) == "":
		errs.add(invalid(fieldPath(field, "number"), "is required for an external phone"))
	case in.Kind == model.DeviceExternal:
		in.Number, err = s.number(fieldPath(field, "number"), in.Number)
		errs.add(err)
	case in.Number != "" && ok:
		errs.add(invalid(fieldPath(field, "number"), "is only for external phones"))
	}
	return errs
}

// join builds the JSON path of a field below prefix.
func fieldPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// single checks that a user gets at most one voicemail and one fax: calls
// and faxes to the user go to exactly one box.
func oneBox(field string, have map[string]int, kind string) error {
	if (kind == model.DeviceVoicemail || kind == model.DeviceFax) && have[kind] > 0 {
		return conflict(field, "the user already has a %s", kind)
	}
	have[kind]++
	return nil
}

// newDevice builds a device of owner. A phone gets a generated SIP
// password, stored sealed, and its HA1 digests.
func (s *Service) newDevice(ctx context.Context, account, owner, id string, in DeviceInput, now time.Time) (model.Device, error) {
	d := model.Device{
		Common:  model.Common{PK: model.AccountPK(account), SK: model.DeviceKey(account, id).SK, Type: model.TypeDevice, Created: now, Updated: now},
		Account: account, ID: id, Owner: owner, Kind: in.Kind, Name: in.Name, Enabled: true,
		LookupPK: model.DeviceLookup(id), LookupSK: "DEVICE",
	}
	if in.Kind == model.DeviceExternal {
		d.External = in.Number
	}
	if in.Kind == model.DevicePhone {
		if err := s.setPassword(ctx, &d); err != nil {
			return model.Device{}, err
		}
	}
	return d, nil
}

// deviceID is the global id of an account's n-th device.
func deviceID(account string, n int) string { return account + "e" + strconv.Itoa(n) }

// ownDeviceID reports whether id is a well-formed device id of account.
// A device id of another account is refused before anything is read.
func ownDeviceID(account, id string) bool {
	rest, ok := strings.CutPrefix(id, account+"e")
	if !ok || rest == "" || len(rest) > 9 {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// deviceVersioned reads a device of account with its version.
func (s *Service) deviceVersioned(ctx context.Context, account, id string) (model.Device, error) {
	if !ownDeviceID(account, id) {
		return model.Device{}, notFound("device")
	}
	return get[model.Device](ctx, s.store, model.DeviceKey(account, id), "device")
}

// deviceFor reads a device the principal may see: an admin any of the
// account, a user only own ones.
func (s *Service) deviceFor(ctx context.Context, p auth.Principal, id string) (model.Device, error) {
	d, err := s.deviceVersioned(ctx, p.Account, id)
	if err != nil {
		return model.Device{}, err
	}
	if !p.Admin() && d.Owner != p.User {
		return model.Device{}, forbidden("the device belongs to another user")
	}
	return d, nil
}

// userDevices lists the devices of one user, in the order they were made.
func (s *Service) userDevices(ctx context.Context, account, user string) ([]model.Device, error) {
	all, err := s.allDevices(ctx, account)
	if err != nil {
		return nil, err
	}
	var out []model.Device
	for _, d := range all {
		if d.Owner == user {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return deviceSeq(out[i].ID) < deviceSeq(out[j].ID) })
	return out, nil
}

func deviceSeq(id string) int {
	n, _ := strconv.Atoi(id[strings.LastIndexByte(id, 'e')+1:])
	return n
}

// Devices lists a user's devices with their status (the user's own, or
// any user's for an admin).
func (s *Service) Devices(ctx context.Context, p auth.Principal, userID string) ([]DeviceInfo, error) {
	if !p.Admin() && userID != p.User {
		return nil, forbidden("you may list only your own devices")
	}
	if _, err := s.userVersioned(ctx, p.Account, userID); err != nil {
		return nil, err
	}
	ds, err := s.userDevices(ctx, p.Account, userID)
	if err != nil {
		return nil, err
	}
	regs, err := s.registrations(ctx, p.Account, model.BindingsPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]DeviceInfo, len(ds))
	for i, d := range ds {
		out[i] = deviceInfoOf(d, regs[d.ID])
	}
	return out, nil
}

// Device reads one device with its status.
func (s *Service) Device(ctx context.Context, p auth.Principal, id string) (DeviceInfo, error) {
	d, err := s.deviceFor(ctx, p, id)
	if err != nil {
		return DeviceInfo{}, err
	}
	regs, err := s.registrations(ctx, p.Account, model.BindingPrefix(d.ID))
	if err != nil {
		return DeviceInfo{}, err
	}
	return deviceInfoOf(d, regs[d.ID]), nil
}

// registrations reads the unexpired bindings below a sort-key prefix, by
// device.
func (s *Service) registrations(ctx context.Context, account, prefix string) (map[string][]Registration, error) {
	out := map[string][]Registration{}
	now := s.now().Unix()
	q := store.Query{PK: model.AccountPK(account), Prefix: prefix, Limit: store.MaxLimit}
	for page := 0; page < 20; page++ {
		pg, err := s.store.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("read bindings: %w", err)
		}
		for _, it := range pg.Items {
			var b model.Binding
			if err := store.Unmarshal(it, &b); err != nil {
				return nil, err
			}
			if b.Expires != 0 && b.Expires <= now {
				continue
			}
			out[b.Device] = append(out[b.Device], Registration{Contact: b.Contact, Source: b.Source, Transport: b.Transport,
				UserAgent: b.UserAgent, Expires: time.Unix(b.Expires, 0).UTC()})
		}
		if pg.Cursor == "" {
			break
		}
		q.Cursor = pg.Cursor
	}
	return out, nil
}

// deviceInfoOf shows a stored device; phones carry their status.
func deviceInfoOf(d model.Device, regs []Registration) DeviceInfo {
	info := DeviceInfo{ID: d.ID, Kind: d.Kind, Name: d.Name, Owner: d.Owner, Enabled: d.Enabled, Number: d.External, Created: d.Created}
	if d.Kind == model.DevicePhone {
		if regs == nil {
			regs = []Registration{}
		}
		info.Status = &DeviceStatus{Online: len(regs) > 0, Registrations: regs}
	}
	return info
}

// CreateDevice adds an endpoint to a user (admins only).
func (s *Service) CreateDevice(ctx context.Context, p auth.Principal, userID string, in DeviceInput) (DeviceInfo, error) {
	if !p.Admin() {
		return DeviceInfo{}, forbidden("only admins add devices")
	}
	if errs := s.checkDevice("", &in); len(errs) > 0 {
		return DeviceInfo{}, errs.err()
	}
	return retry(ctx, func() (DeviceInfo, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return DeviceInfo{}, err
		}
		u, err := s.userVersioned(ctx, p.Account, userID)
		if err != nil {
			return DeviceInfo{}, err
		}
		have, err := s.userDevices(ctx, p.Account, u.ID)
		if err != nil {
			return DeviceInfo{}, err
		}
		if len(have) >= maxDevicesPerUser {
			return DeviceInfo{}, &Error{Kind: Conflict, Message: fmt.Sprintf("a user has at most %d devices", maxDevicesPerUser)}
		}
		kinds := map[string]int{}
		for _, d := range have {
			kinds[d.Kind]++
		}
		if err := oneBox("kind", kinds, in.Kind); err != nil {
			return DeviceInfo{}, err
		}
		id := deviceID(a.ID, a.NextDevice)
		d, err := s.newDevice(ctx, a.ID, u.ID, id, in, s.now().UTC())
		if err != nil {
			return DeviceInfo{}, err
		}
		err = s.store.Write(ctx,
			store.Update(model.AccountKey(a.ID)).SetAttr("nextDevice", store.N(int64(a.NextDevice+1))).If(store.VersionEquals(a.Version)),
			// Touching the user makes the write fail when the user was
			// deleted meanwhile, so no device is left without its owner.
			store.Update(model.UserKey(a.ID, u.ID)).SetAttr("updated", storedTime(d.Created)).If(store.Exists()),
			store.Put(mustMarshal(d)).If(store.NotExists()),
			s.auditOp(a.ID, p.User, "device.create", id, d.Kind+" for "+u.ID))
		if conflictAt(err) == 1 {
			return DeviceInfo{}, notFound("user")
		}
		if err != nil {
			return DeviceInfo{}, fmt.Errorf("create device: %w", err)
		}
		return deviceInfoOf(d, nil), nil
	})
}

// UpdateDevice renames, enables or disables a device, or changes an
// external phone's number (an admin, or the user owning it).
func (s *Service) UpdateDevice(ctx context.Context, p auth.Principal, id string, u DeviceUpdate) (DeviceInfo, error) {
	return retry(ctx, func() (DeviceInfo, error) {
		d, err := s.deviceFor(ctx, p, id)
		if err != nil {
			return DeviceInfo{}, err
		}
		var errs Errors
		var changed []string
		if u.Name != nil {
			name, err := text("name", *u.Name, true, maxName)
			errs.add(err)
			d.Name = name
			changed = append(changed, "name")
		}
		if u.Enabled != nil {
			d.Enabled = *u.Enabled
			changed = append(changed, "enabled="+strconv.FormatBool(d.Enabled))
		}
		if u.Number != nil {
			if d.Kind != model.DeviceExternal {
				errs.add(invalid("number", "is only for external phones"))
			} else {
				d.External, err = s.number("number", *u.Number)
				errs.add(err)
				changed = append(changed, "number")
			}
		}
		if err := errs.err(); err != nil {
			return DeviceInfo{}, err
		}
		if len(changed) == 0 {
			return s.Device(ctx, p, id)
		}
		d.Updated = s.now().UTC()
		if err := s.store.Write(ctx, store.Put(mustMarshal(d)).If(store.VersionEquals(d.Version)),
			s.auditOp(p.Account, p.User, "device.update", d.ID, strings.Join(changed, ", "))); err != nil {
			return DeviceInfo{}, fmt.Errorf("update device: %w", err)
		}
		regs, err := s.registrations(ctx, p.Account, model.BindingPrefix(d.ID))
		if err != nil {
			return DeviceInfo{}, err
		}
		return deviceInfoOf(d, regs[d.ID]), nil
	})
}

// DeleteDevice removes a device (admins only). Numbers routed to it are
// unassigned; a number routed to its user that rang only this device rings
// all the user's phones again.
func (s *Service) DeleteDevice(ctx context.Context, p auth.Principal, id string) (DeviceRemoval, error) {
	if !p.Admin() {
		return DeviceRemoval{}, forbidden("only admins delete devices")
	}
	d, err := retry(ctx, func() (model.Device, error) {
		d, err := s.deviceVersioned(ctx, p.Account, id)
		if err != nil {
			return d, err
		}
		return d, s.store.Write(ctx, store.Delete(model.DeviceKey(p.Account, d.ID)).If(store.VersionEquals(d.Version)),
			s.auditOp(p.Account, p.User, "device.delete", d.ID, d.Kind+" of "+d.Owner))
	})
	if err != nil {
		return DeviceRemoval{}, err
	}
	// The device is gone; numbers still naming it are dangling references
	// that readers tolerate until this cleanup has run.
	rm := DeviceRemoval{Device: d.ID, Numbers: []string{}}
	numbers, err := s.releaseNumbers(ctx, p.Account, "", map[string]bool{d.ID: true})
	if err != nil {
		s.log.Warn("numbers of a deleted device not unrouted", "account", p.Account, "device", d.ID, "err", err)
	}
	rm.Numbers = append(rm.Numbers, numbers...)
	return rm, nil
}

// releaseNumbers takes the numbers of account away from user (when set) and the
// devices: a number routed to them is unassigned; a number of another user
// narrowed to one of the devices rings all that user's phones. Each number
// is its own read-modify-write, so the cleanup can be repeated.
func (s *Service) releaseNumbers(ctx context.Context, account, user string, devices map[string]bool) ([]string, error) {
	all, err := s.allNumbers(ctx, account)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, n := range all {
		if _, ok := releaseOp(n, user, devices, time.Time{}); !ok {
			continue
		}
		changed, err := retry(ctx, func() (bool, error) {
			cur, err := s.numberItem(ctx, account, "number", n.E164)
			if KindOf(err) == NotFound {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			op, ok := releaseOp(cur, user, devices, s.now().UTC())
			if !ok {
				return false, nil
			}
			return true, s.store.Write(ctx, op.If(store.VersionEquals(cur.Version)))
		})
		if err != nil {
			return out, fmt.Errorf("unroute %s: %w", n.E164, err)
		}
		if changed {
			out = append(out, n.E164)
		}
	}
	return out, nil
}

// releaseOp returns the update that takes n away from user and devices,
// and whether one is needed: a number routed to them is unassigned, a
// number of another user narrowed to one of the devices rings all that
// user's phones again.
func releaseOp(n model.Number, user string, devices map[string]bool, now time.Time) (store.Op, bool) {
	switch {
	case user != "" && n.Route == model.RouteUser && n.Target == user,
		n.Route == model.RouteDevice && devices[n.Target]:
		return unrouteOp(n, now), true
	case n.Route == model.RouteUser && n.Device != "" && devices[n.Device]:
		return store.Update(model.NumberKey(n.Account, n.E164)).SetAttr("device", store.S("")).SetAttr("updated", storedTime(now)), true
	}
	return store.Op{}, false
}

// storedTime is a time as entity structs marshal it (RFC 3339 with
// nanoseconds), for updates that set one attribute.
func storedTime(t time.Time) types.AttributeValue { return store.S(t.Format(time.RFC3339Nano)) }
