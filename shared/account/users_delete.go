package account

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// UserRemoval says what went with a deleted user, so the console can tell.
type UserRemoval struct {
	User    string   `json:"user"`
	Devices []string `json:"devices" doc:"Devices deleted with the user"`
	Numbers []string `json:"numbers" doc:"Numbers that were routed to the user or its devices and are now unassigned"`
	Groups  []string `json:"groups" doc:"Groups the user left"`
}

// DeleteUser deletes a user (admins only, not themselves) with its login,
// extension and devices in one write; then, in further writes that can be
// repeated, unroutes its numbers, takes it out of groups and removes its
// personal access tokens and personal contacts. Until those have run,
// readers meet references to the user that no longer resolve, and skip
// them.
func (s *Service) DeleteUser(ctx context.Context, p auth.Principal, id string) (UserRemoval, error) {
	if !p.Admin() {
		return UserRemoval{}, forbidden("only admins delete users")
	}
	if id == p.User {
		return UserRemoval{}, forbidden("you cannot delete yourself")
	}
	type deleted struct {
		user    model.User
		devices []model.Device
		done    int
	}
	d, err := retry(ctx, func() (deleted, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return deleted{}, err
		}
		u, err := s.userVersioned(ctx, p.Account, id)
		if err != nil {
			return deleted{}, err
		}
		devs, err := s.userDevices(ctx, p.Account, id)
		if err != nil {
			return deleted{}, err
		}
		lpk, lsk := model.LoginKey(u.Email)
		ops := []store.Op{
			store.Update(model.AccountKey(a.ID)).SetAttr("users", store.N(int64(max(a.Users-1, 0)))).If(store.VersionEquals(a.Version)),
			store.Delete(model.UserKey(a.ID, id)).If(store.VersionEquals(u.Version)),
			store.Delete(store.Key{PK: lpk, SK: lsk}),
			s.auditOp(a.ID, p.User, "user.delete", id, fmt.Sprintf("%d devices", len(devs))),
		}
		if u.Extension != "" {
			ops = append(ops, releaseExtension(a.ID, u.Extension))
		}
		n := min(len(devs), store.MaxOps-len(ops))
		for _, dv := range devs[:n] {
			ops = append(ops, store.Delete(model.DeviceKey(a.ID, dv.ID)))
		}
		if err := s.store.Write(ctx, ops...); err != nil {
			return deleted{}, fmt.Errorf("delete user: %w", err)
		}
		return deleted{user: u, devices: devs, done: n}, nil
	})
	if err != nil {
		return UserRemoval{}, err
	}
	rm := UserRemoval{User: id, Devices: make([]string, len(d.devices))}
	devs := make(map[string]bool, len(d.devices))
	for i, dv := range d.devices {
		rm.Devices[i] = dv.ID
		devs[dv.ID] = true
	}
	// The user is gone; what follows only removes references to it. A
	// failure is logged and the rest still runs: the answer must say the
	// user was deleted, which it was.
	var rest []store.Key
	for _, dv := range d.devices[d.done:] {
		rest = append(rest, model.DeviceKey(p.Account, dv.ID))
	}
	var errs []error
	numbers, err := s.releaseNumbers(ctx, p.Account, id, devs)
	rm.Numbers = append([]string{}, numbers...)
	errs = append(errs, err)
	groups, err := s.leaveGroups(ctx, p.Account, id)
	rm.Groups = append([]string{}, groups...)
	errs = append(errs, err)
	errs = append(errs, s.dropUserItems(ctx, p.Account, id, rest))
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("cleanup after deleting a user incomplete", "account", p.Account, "user", id, "err", err)
	}
	return rm, nil
}

// leaveGroups takes user out of every group of account.
func (s *Service) leaveGroups(ctx context.Context, account, user string) ([]string, error) {
	groups, err := s.allGroups(ctx, account)
	if err != nil {
		return []string{}, err
	}
	out := []string{}
	for _, g := range groups {
		if !slices.Contains(g.Members, user) {
			continue
		}
		left, err := retry(ctx, func() (bool, error) {
			cur, err := s.group(ctx, account, g.ID)
			if KindOf(err) == NotFound {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if !slices.Contains(cur.Members, user) {
				return false, nil
			}
			members := slices.DeleteFunc(slices.Clone(cur.Members), func(m string) bool { return m == user })
			op := store.Update(model.GroupKey(account, g.ID)).SetAttr("updated", storedTime(s.now().UTC()))
			if len(members) == 0 {
				op.Remove = []string{"members"}
			} else {
				op = op.SetAttr("members", stringList(members))
			}
			return true, s.store.Write(ctx, op.If(store.VersionEquals(cur.Version)))
		})
		if err != nil {
			return out, fmt.Errorf("leave group %s: %w", g.ID, err)
		}
		if left {
			out = append(out, g.ID)
		}
	}
	return out, nil
}

// dropUserItems deletes what only a deleted user used: devices that did
// not fit into the first write, personal access tokens (listing copy and
// credential) and personal contacts. Deletes are idempotent.
func (s *Service) dropUserItems(ctx context.Context, account, user string, keys []store.Key) error {
	tokens, err := all[model.TokenRef](ctx, s.store, account, model.TokensPrefix)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if t.User == user {
			pk, sk := model.CredentialKey(t.ID)
			keys = append(keys, model.TokenRefKey(account, t.ID), store.Key{PK: pk, SK: sk})
		}
	}
	contacts, err := all[model.Contact](ctx, s.store, account, model.ContactsPrefix)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		if c.Owner == user {
			keys = append(keys, model.ContactKey(account, c.ID))
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), store.MaxOps)
		ops := make([]store.Op, n)
		for i, k := range keys[:n] {
			ops[i] = store.Delete(k)
		}
		if err := s.store.Write(ctx, ops...); err != nil {
			return fmt.Errorf("delete items of user %s: %w", user, err)
		}
		keys = keys[n:]
	}
	return nil
}
