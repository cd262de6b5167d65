package account

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// GroupInfo is a group as the API shows it (A5).
type GroupInfo struct {
	ID         string    `json:"id" doc:"Short id within the account, e.g. g0"`
	Name       string    `json:"name"`
	Extension  string    `json:"extension,omitempty"`
	Members    []string  `json:"members" doc:"User ids"`
	Numbers    []string  `json:"numbers" doc:"Numbers routed to the group (E.164)"`
	Forwarding []Forward `json:"forwarding"`
	Created    time.Time `json:"createdAt"`
}

// GroupInput creates a group: the guide's two steps (name, number,
// extension; then members) in one request.
type GroupInput struct {
	Name      string
	Extension string
	Number    string // one of the account's unassigned numbers, routed to the group
	Members   []string
}

// maxMembers bounds a group's size so a membership change stays one write.
const maxMembers = 100

func groupInfoOf(g model.Group, numbers []model.Number) GroupInfo {
	info := GroupInfo{ID: g.ID, Name: g.Name, Extension: g.Extension, Members: g.Members, Forwarding: forwardsOf(g.Forwarding), Created: g.Created}
	if info.Members == nil {
		info.Members = []string{}
	}
	info.Numbers = []string{}
	for _, n := range numbers {
		if n.Route == model.RouteGroup && n.Target == g.ID {
			info.Numbers = append(info.Numbers, n.E164)
		}
	}
	return info
}

func (s *Service) group(ctx context.Context, account, id string) (model.Group, error) {
	return get[model.Group](ctx, s.store, model.GroupKey(account, id), "group")
}

// checkMembers validates a member list against the account's users.
func (s *Service) checkMembers(ctx context.Context, account, field string, members []string) ([]string, error) {
	if len(members) > maxMembers {
		return nil, invalid(field, "has more than %d members", maxMembers)
	}
	users, err := s.allUsers(ctx, account)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, u := range users {
		known[u.ID] = true
	}
	var out []string
	for i, m := range members {
		if !known[m] {
			return nil, invalid(fmt.Sprintf("%s[%d]", field, i), "is not a user of the account")
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// CreateGroup creates a group with its extension, number and members
// (admins only; limited by the plan).
func (s *Service) CreateGroup(ctx context.Context, p auth.Principal, in GroupInput) (GroupInfo, error) {
	if !p.Admin() {
		return GroupInfo{}, forbidden("only admins create groups")
	}
	return retry(ctx, func() (GroupInfo, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return GroupInfo{}, err
		}
		var errs Errors
		name, err := text("name", in.Name, true, maxName)
		errs.add(err)
		if in.Extension != "" {
			errs.add(s.checkExtension(ctx, a, "extension", in.Extension, ExtGroup, ""))
		}
		members, err := s.checkMembers(ctx, p.Account, "members", in.Members)
		errs.add(err)
		var num *model.Number
		if in.Number != "" {
			n, err := s.freeNumber(ctx, p.Account, "number", in.Number)
			errs.add(err)
			num = n
		}
		if err := errs.err(); err != nil {
			return GroupInfo{}, err
		}
		if plan, _ := PlanByID(a.Plan); a.Groups >= plan.Groups {
			return GroupInfo{}, &Error{Kind: PlanLimit, Message: fmt.Sprintf("the %s plan includes %d groups", plan.Name, plan.Groups)}
		}
		now := s.now().UTC()
		id := fmt.Sprintf("g%d", a.NextGroup)
		g := model.Group{Common: model.Common{PK: model.AccountPK(a.ID), SK: model.GroupKey(a.ID, id).SK, Type: model.TypeGroup, Created: now, Updated: now},
			Account: a.ID, ID: id, Name: name, Extension: in.Extension, Members: members}
		a.NextGroup++
		a.Groups++
		a.Updated = now
		ops := []store.Op{store.Put(mustMarshal(a)).If(store.VersionEquals(a.Version)), store.Put(mustMarshal(g)).If(store.NotExists())}
		extOp, numOp := -1, -1
		if in.Extension != "" {
			extOp = len(ops)
			ops = append(ops, reserveExtension(a.ID, in.Extension, ExtGroup, id))
		}
		var numbers []model.Number
		if num != nil {
			num.Route, num.Target, num.Device, num.Updated = model.RouteGroup, id, "", now
			numOp = len(ops)
			ops = append(ops, store.Put(mustMarshal(*num)).If(store.VersionEquals(num.Version)))
			numbers = append(numbers, *num)
		}
		ops = append(ops, s.auditOp(a.ID, p.User, "group.create", id, name))
		err = s.store.Write(ctx, ops...)
		switch at := conflictAt(err); {
		case at >= 0 && at == extOp:
			return GroupInfo{}, conflict("extension", "is already in use")
		case at >= 0 && at == numOp:
			return GroupInfo{}, conflict("number", "was routed elsewhere meanwhile")
		}
		return groupInfoOf(g, numbers), err
	})
}

// Groups lists the account's groups (a non-admin: the groups the user is a
// member of).
func (s *Service) Groups(ctx context.Context, p auth.Principal) ([]GroupInfo, error) {
	groups, err := s.allGroups(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	numbers, err := s.allNumbers(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	out := []GroupInfo{}
	for _, g := range groups {
		if p.Admin() || slices.Contains(g.Members, p.User) {
			out = append(out, groupInfoOf(g, numbers))
		}
	}
	return out, nil
}

// Group reads one group (a non-admin: only a group the user belongs to).
func (s *Service) Group(ctx context.Context, p auth.Principal, id string) (GroupInfo, error) {
	g, err := s.group(ctx, p.Account, id)
	if err != nil {
		return GroupInfo{}, err
	}
	if !p.Admin() && !slices.Contains(g.Members, p.User) {
		return GroupInfo{}, notFound("group")
	}
	numbers, err := s.allNumbers(ctx, p.Account)
	if err != nil {
		return GroupInfo{}, err
	}
	return groupInfoOf(g, numbers), nil
}
