package account

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// GroupUpdate changes a group; nil fields stay as they are. Members, when
// set, replaces the whole list.
type GroupUpdate struct {
	Name       *string
	Extension  *string // "" removes the extension
	Members    *[]string
	Forwarding *[]Forward
}

// UpdateGroup changes a group (admins only).
func (s *Service) UpdateGroup(ctx context.Context, p auth.Principal, id string, u GroupUpdate) (GroupInfo, error) {
	if !p.Admin() {
		return GroupInfo{}, forbidden("only admins change groups")
	}
	return retry(ctx, func() (GroupInfo, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return GroupInfo{}, err
		}
		g, err := s.group(ctx, p.Account, id)
		if err != nil {
			return GroupInfo{}, err
		}
		old := g.Extension
		var errs Errors
		if u.Name != nil {
			g.Name, err = text("name", *u.Name, true, maxName)
			errs.add(err)
		}
		if u.Extension != nil && *u.Extension != old {
			if *u.Extension != "" {
				errs.add(s.checkExtension(ctx, a, "extension", *u.Extension, ExtGroup, id))
			}
			g.Extension = *u.Extension
		}
		if u.Members != nil {
			g.Members, err = s.checkMembers(ctx, p.Account, "members", *u.Members)
			errs.add(err)
		}
		if u.Forwarding != nil {
			fw, ferrs, err := s.checkForwarding(ctx, a, "", *u.Forwarding)
			if err != nil {
				return GroupInfo{}, err
			}
			g.Forwarding = fw
			errs = append(errs, ferrs...)
		}
		if err := errs.err(); err != nil {
			return GroupInfo{}, err
		}
		g.Updated = s.now().UTC()
		ops := []store.Op{store.Put(mustMarshal(g)).If(store.VersionEquals(g.Version))}
		extOp := -1
		if g.Extension != old {
			if old != "" {
				ops = append(ops, releaseExtension(a.ID, old))
			}
			if g.Extension != "" {
				extOp = len(ops)
				ops = append(ops, reserveExtension(a.ID, g.Extension, ExtGroup, id))
			}
		}
		ops = append(ops, s.auditOp(a.ID, p.User, "group.update", id, g.Name))
		err = s.store.Write(ctx, ops...)
		if extOp >= 0 && conflictAt(err) == extOp {
			return GroupInfo{}, conflict("extension", "is already in use")
		}
		if err != nil {
			return GroupInfo{}, err
		}
		numbers, err := s.allNumbers(ctx, p.Account)
		return groupInfoOf(g, numbers), err
	})
}

// AddMember adds a user to a group (admins only).
func (s *Service) AddMember(ctx context.Context, p auth.Principal, groupID, userID string) (GroupInfo, error) {
	return s.changeMembers(ctx, p, groupID, func(m []string) ([]string, error) {
		if _, err := s.userVersioned(ctx, p.Account, userID); err != nil {
			if KindOf(err) == NotFound {
				return nil, invalid("userId", "is not a user of the account")
			}
			return nil, err
		}
		if slices.Contains(m, userID) {
			return m, nil
		}
		if len(m) >= maxMembers {
			return nil, invalid("userId", "the group has %d members already", maxMembers)
		}
		return append(m, userID), nil
	})
}

// RemoveMember removes a user from a group (admins only).
func (s *Service) RemoveMember(ctx context.Context, p auth.Principal, groupID, userID string) (GroupInfo, error) {
	return s.changeMembers(ctx, p, groupID, func(m []string) ([]string, error) {
		if !slices.Contains(m, userID) {
			return nil, notFound("member")
		}
		return slices.DeleteFunc(slices.Clone(m), func(x string) bool { return x == userID }), nil
	})
}

func (s *Service) changeMembers(ctx context.Context, p auth.Principal, groupID string, change func([]string) ([]string, error)) (GroupInfo, error) {
	if !p.Admin() {
		return GroupInfo{}, forbidden("only admins change group members")
	}
	return retry(ctx, func() (GroupInfo, error) {
		g, err := s.group(ctx, p.Account, groupID)
		if err != nil {
			return GroupInfo{}, err
		}
		if g.Members, err = change(g.Members); err != nil {
			return GroupInfo{}, err
		}
		g.Updated = s.now().UTC()
		if err := s.store.Write(ctx, store.Put(mustMarshal(g)).If(store.VersionEquals(g.Version)),
			s.auditOp(p.Account, p.User, "group.members", groupID, g.Name)); err != nil {
			return GroupInfo{}, err
		}
		numbers, err := s.allNumbers(ctx, p.Account)
		return groupInfoOf(g, numbers), err
	})
}

// DeleteGroup deletes a group: its extension is freed and its numbers
// become unassigned (admins only).
func (s *Service) DeleteGroup(ctx context.Context, p auth.Principal, id string) error {
	if !p.Admin() {
		return forbidden("only admins delete groups")
	}
	_, err := retry(ctx, func() (struct{}, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return struct{}{}, err
		}
		g, err := s.group(ctx, p.Account, id)
		if err != nil {
			return struct{}{}, err
		}
		numbers, err := s.allNumbers(ctx, p.Account)
		if err != nil {
			return struct{}{}, err
		}
		a.Groups--
		a.Updated = s.now().UTC()
		ops := []store.Op{store.Put(mustMarshal(a)).If(store.VersionEquals(a.Version)), store.Delete(model.GroupKey(a.ID, id)).If(store.VersionEquals(g.Version))}
		if g.Extension != "" {
			ops = append(ops, releaseExtension(a.ID, g.Extension))
		}
		ops = append(ops, s.auditOp(a.ID, p.User, "group.delete", id, g.Name))
		var rest []store.Op
		for _, n := range numbers {
			if n.Route == model.RouteGroup && n.Target == id {
				rest = append(rest, unrouteOp(n, a.Updated))
			}
		}
		return struct{}{}, s.writeSpill(ctx, ops, rest)
	})
	return err
}

// writeSpill writes first atomically, together with as much of rest as
// fits, then the remainder of rest in further writes. rest must be
// idempotent clean-up whose absence readers tolerate (an unrouted number
// pointing at a deleted target is shown as unassigned).
func (s *Service) writeSpill(ctx context.Context, first, rest []store.Op) error {
	n := min(len(rest), store.MaxOps-len(first))
	if err := s.store.Write(ctx, append(first, rest[:n]...)...); err != nil {
		return err
	}
	for rest = rest[n:]; len(rest) > 0; {
		k := min(len(rest), store.MaxOps)
		if err := s.store.Write(ctx, rest[:k]...); err != nil {
			return err
		}
		rest = rest[k:]
	}
	return nil
}
