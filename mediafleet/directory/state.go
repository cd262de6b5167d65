package directory

import (
	"github.com/switchboard/switchboard/shared/model"
)

// The methods of state install or remove one entity and keep the derived
// indexes (extensions, devices by owner) in step. Each refuses a change
// that is older than what it holds: an upsert or removal whose version is
// below the held entity's version is a notification for a change the view
// already has (it came with the snapshot), and reports false.
//
// Versions restart at 1 when an entity is deleted and created anew; the
// removal in between clears what is held, so the new entity is accepted.

func older(v, held int64) bool { return v < held }

func (s *state) putAccount(a *Account) bool {
	if old, ok := s.accounts[a.ID]; ok && older(a.Version, old.Version) {
		return false
	}
	s.accounts[a.ID] = a
	return true
}

func (s *state) removeAccount(id string, v int64) bool {
	old, ok := s.accounts[id]
	if !ok || older(v, old.Version) {
		return false
	}
	delete(s.accounts, id)
	return true
}

func (s *state) putUser(u *User) bool {
	k := key{u.Account, u.ID}
	old, ok := s.users[k]
	if ok && older(u.Version, old.Version) {
		return false
	}
	if ok {
		s.unsetExt(u.Account, old.Extension, Target{Kind: model.TypeUser, ID: u.ID})
	}
	s.users[k] = u
	s.setExt(u.Account, u.Extension, Target{Kind: model.TypeUser, ID: u.ID})
	return true
}

func (s *state) removeUser(account, id string, v int64) bool {
	k := key{account, id}
	old, ok := s.users[k]
	if !ok || older(v, old.Version) {
		return false
	}
	s.unsetExt(account, old.Extension, Target{Kind: model.TypeUser, ID: id})
	delete(s.users, k)
	return true
}

func (s *state) putGroup(g *Group) bool {
	k := key{g.Account, g.ID}
	old, ok := s.groups[k]
	if ok && older(g.Version, old.Version) {
		return false
	}
	if ok {
		s.unsetExt(g.Account, old.Extension, Target{Kind: model.TypeGroup, ID: g.ID})
	}
	s.groups[k] = g
	s.setExt(g.Account, g.Extension, Target{Kind: model.TypeGroup, ID: g.ID})
	return true
}

func (s *state) removeGroup(account, id string, v int64) bool {
	k := key{account, id}
	old, ok := s.groups[k]
	if !ok || older(v, old.Version) {
		return false
	}
	s.unsetExt(account, old.Extension, Target{Kind: model.TypeGroup, ID: id})
	delete(s.groups, k)
	return true
}

func (s *state) putDevice(d *Device) bool {
	old, ok := s.devices[d.ID]
	if ok && older(d.Version, old.Version) {
		return false
	}
	if ok {
		s.unown(old)
	}
	s.devices[d.ID] = d
	k := key{d.Account, d.Owner}
	set := s.owned[k]
	if set == nil {
		set = map[string]struct{}{}
		s.owned[k] = set
	}
	set[d.ID] = struct{}{}
	return true
}

func (s *state) removeDevice(id string, v int64) bool {
	old, ok := s.devices[id]
	if !ok || older(v, old.Version) {
		return false
	}
	s.unown(old)
	delete(s.devices, id)
	return true
}

func (s *state) unown(d *Device) {
	k := key{d.Account, d.Owner}
	if set := s.owned[k]; set != nil {
		delete(set, d.ID)
		if len(set) == 0 {
			delete(s.owned, k)
		}
	}
}

func (s *state) putNumber(n *Number) bool {
	if old, ok := s.numbers[n.E164]; ok && older(n.Version, old.Version) {
		return false
	}
	s.numbers[n.E164] = n
	return true
}

func (s *state) removeNumber(e164 string, v int64) bool {
	old, ok := s.numbers[e164]
	if !ok || older(v, old.Version) {
		return false
	}
	delete(s.numbers, e164)
	return true
}

func (s *state) setExt(account, ext string, t Target) {
	if ext != "" {
		s.exts[key{account, ext}] = t
	}
}

// unsetExt frees an extension only if t still holds it: while a stream
// catches up, another entity may briefly have taken it over.
func (s *state) unsetExt(account, ext string, t Target) {
	if ext == "" {
		return
	}
	k := key{account, ext}
	if s.exts[k] == t {
		delete(s.exts, k)
	}
}

// Conversions from the stored entities. They copy what the fleet needs
// and leave the rest (the sealed SIP password among it) behind.

func fromAccount(a *model.Account) *Account {
	return &Account{ID: a.ID, Locked: a.Locked, Version: a.Version}
}

func fromUser(u *model.User) *User {
	return &User{Account: u.Account, ID: u.ID, Name: u.Name, Locked: u.Locked, Extension: u.Extension,
		CallerID: u.CallerID, Forwarding: u.Forwarding, Version: u.Version}
}

func fromDevice(d *model.Device) *Device {
	return &Device{ID: d.ID, Account: d.Account, Owner: d.Owner, Kind: d.Kind, Name: d.Name,
		Enabled: d.Enabled, External: d.External, Realm: d.Realm, HA1MD5: d.HA1MD5,
		HA1SHA256: d.HA1SHA256, Version: d.Version}
}

func fromGroup(g *model.Group) *Group {
	return &Group{Account: g.Account, ID: g.ID, Name: g.Name, Extension: g.Extension,
		Members: g.Members, Forwarding: g.Forwarding, Version: g.Version}
}

func fromNumber(n *model.Number) *Number {
	return &Number{Account: n.Account, E164: n.E164, Active: n.Active, Route: n.Route,
		Target: n.Target, Device: n.Device, Version: n.Version}
}
