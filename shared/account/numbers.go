package account

import (
	"context"
	"strings"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// number reads one of the account's numbers by any form of it.
func (s *Service) numberItem(ctx context.Context, account, field, raw string) (model.Number, error) {
	e164, err := s.number(field, raw)
	if err != nil {
		return model.Number{}, err
	}
	return get[model.Number](ctx, s.store, model.NumberKey(account, e164), "number")
}

// freeNumber reads a number of the account that is not routed anywhere,
// for a new user or group to take.
func (s *Service) freeNumber(ctx context.Context, account, field, raw string) (*model.Number, error) {
	n, err := s.numberItem(ctx, account, field, raw)
	if KindOf(err) == NotFound {
		return nil, invalid(field, "is not a number of the account")
	}
	if err != nil {
		return nil, err
	}
	if n.Route != model.RouteNone {
		return nil, conflict(field, "is already routed to a %s; route it anew instead", n.Route)
	}
	return &n, nil
}

// unrouteOp makes a number unassigned.
func unrouteOp(n model.Number, now time.Time) store.Op {
	return store.Update(model.NumberKey(n.Account, n.E164)).
		SetAttr("route", store.S("")).SetAttr("target", store.S("")).SetAttr("device", store.S("")).
		SetAttr("updated", store.S(now.Format(time.RFC3339Nano)))
}

// targets knows which users, devices and groups exist, so that routes to
// something deleted show as unassigned.
type targets struct {
	users, devices, groups map[string]bool
	owner                  map[string]string // device id -> owning user
}

func (s *Service) targets(ctx context.Context, account string) (targets, error) {
	t := targets{users: map[string]bool{}, devices: map[string]bool{}, groups: map[string]bool{}, owner: map[string]string{}}
	users, err := s.allUsers(ctx, account)
	if err != nil {
		return t, err
	}
	for _, u := range users {
		t.users[u.ID] = true
	}
	devices, err := s.allDevices(ctx, account)
	if err != nil {
		return t, err
	}
	for _, d := range devices {
		t.devices[d.ID] = true
		t.owner[d.ID] = d.Owner
	}
	groups, err := s.allGroups(ctx, account)
	if err != nil {
		return t, err
	}
	for _, g := range groups {
		t.groups[g.ID] = true
	}
	return t, nil
}

// live returns n with a route to something deleted cleared.
func (t targets) live(n model.Number) model.Number {
	ok := true
	switch n.Route {
	case model.RouteUser:
		ok = t.users[n.Target] && (n.Device == "" || t.devices[n.Device])
	case model.RouteDevice:
		ok = t.devices[n.Target]
	case model.RouteGroup:
		ok = t.groups[n.Target]
	}
	if !ok {
		n.Route, n.Target, n.Device = model.RouteNone, "", ""
	}
	return n
}

// routesTo says whether n rings user (directly or through one of the
// user's devices).
func (t targets) routesTo(n model.Number, user string) bool {
	switch n.Route {
	case model.RouteUser:
		return n.Target == user
	case model.RouteDevice:
		return t.owner[n.Target] == user
	}
	return false
}

// Numbers lists the account's numbers and their routes (a non-admin: the
// numbers that ring the user).
func (s *Service) Numbers(ctx context.Context, p auth.Principal) ([]NumberInfo, error) {
	numbers, err := s.allNumbers(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	t, err := s.targets(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	out := []NumberInfo{}
	for _, n := range numbers {
		n = t.live(n)
		if p.Admin() || t.routesTo(n, p.User) {
			out = append(out, NumberInfoOf(n))
		}
	}
	return out, nil
}

// Number reads one number.
func (s *Service) Number(ctx context.Context, p auth.Principal, raw string) (NumberInfo, error) {
	n, err := s.numberItem(ctx, p.Account, "number", raw)
	if KindOf(err) == Invalid {
		return NumberInfo{}, notFound("number")
	}
	if err != nil {
		return NumberInfo{}, err
	}
	t, err := s.targets(ctx, p.Account)
	if err != nil {
		return NumberInfo{}, err
	}
	n = t.live(n)
	if !p.Admin() && !t.routesTo(n, p.User) {
		return NumberInfo{}, notFound("number")
	}
	return NumberInfoOf(n), nil
}

// RouteNumber sets where a number rings (A10, U3): to a user (all phones,
// or exactly one with Device), to one endpoint, to a group, or nowhere.
// Admins route any number; a user with the permission "may change own
// routing" may route a number that rings them to themselves or one of
// their own endpoints.
func (s *Service) RouteNumber(ctx context.Context, p auth.Principal, raw string, r Route) (NumberInfo, error) {
	return retry(ctx, func() (NumberInfo, error) {
		n, err := s.numberItem(ctx, p.Account, "number", raw)
		if KindOf(err) == Invalid {
			return NumberInfo{}, notFound("number")
		}
		if err != nil {
			return NumberInfo{}, err
		}
		t, err := s.targets(ctx, p.Account)
		if err != nil {
			return NumberInfo{}, err
		}
		n = t.live(n)
		if !p.Admin() {
			if !t.routesTo(n, p.User) {
				return NumberInfo{}, notFound("number")
			}
			if !p.MayChangeRouting {
				return NumberInfo{}, forbidden("you may not change the routing of your numbers; ask an admin")
			}
		}
		if err := s.checkRoute(ctx, p, t, &r); err != nil {
			return NumberInfo{}, err
		}
		kind := r.Kind
		if kind == "none" {
			kind = model.RouteNone
		}
		n.Route, n.Target, n.Device, n.Updated = kind, r.Target, r.Device, s.now().UTC()
		err = s.store.Write(ctx, store.Put(mustMarshal(n)).If(store.VersionEquals(n.Version)),
			s.auditOp(p.Account, p.User, "number.route", n.E164, strings.TrimSpace(kind+" "+r.Target+" "+r.Device)))
		return NumberInfoOf(n), err
	})
}

func (s *Service) checkRoute(ctx context.Context, p auth.Principal, t targets, r *Route) error {
	switch r.Kind {
	case "none", "":
		r.Kind, r.Target, r.Device = "none", "", ""
		return nil
	case model.RouteUser:
		if !t.users[r.Target] {
			return invalid("route.target", "is not a user of the account")
		}
		if r.Device != "" && t.owner[r.Device] != r.Target {
			return invalid("route.device", "is not an endpoint of user %s", r.Target)
		}
		if r.Device != "" {
			if err := s.phoneDevice(ctx, p.Account, r.Device); err != nil {
				return err
			}
		}
	case model.RouteDevice:
		if !t.devices[r.Target] {
			return invalid("route.target", "is not an endpoint of the account")
		}
		if r.Device != "" {
			return invalid("route.device", "is only for routes to a user")
		}
	case model.RouteGroup:
		if !t.groups[r.Target] {
			return invalid("route.target", "is not a group of the account")
		}
		if r.Device != "" {
			return invalid("route.device", "is only for routes to a user")
		}
		if !p.Admin() {
			return forbidden("only admins route numbers to groups")
		}
	default:
		return invalid("route.kind", "must be none, user, device or group")
	}
	if !p.Admin() {
		owner := r.Target
		if r.Kind == model.RouteDevice {
			owner = t.owner[r.Target]
		}
		if owner != p.User {
			return forbidden("you may route your numbers only to yourself or your own endpoints")
		}
	}
	return nil
}

// phoneDevice checks that a device is a phone (a route to "exactly one of
// the user's phones" names a phone).
func (s *Service) phoneDevice(ctx context.Context, account, id string) error {
	it, err := s.store.Get(ctx, model.DeviceKey(account, id))
	if err != nil {
		return invalid("route.device", "is not an endpoint of the account")
	}
	var d model.Device
	if err := store.Unmarshal(it, &d); err != nil {
		return err
	}
	if d.Kind != model.DevicePhone && d.Kind != model.DeviceExternal {
		return invalid("route.device", "is a %s, not a phone", d.Kind)
	}
	return nil
}
