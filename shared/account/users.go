package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// User limits.
const (
	maxLocation = 200
	maxJoin     = 10 // groups a new user joins in one request
)

// UserInput is a new user with the data of the guide's three steps (A3):
// who the user is, which endpoints the user gets, and a number, an
// extension and groups to join. All but name and e-mail are optional.
type UserInput struct {
	Name             string
	Email            string
	Location         string
	Admin            bool
	Language         string // de (default) or en
	MayChangeRouting bool
	Devices          []DeviceInput
	Number           string   // a number of the account, routed to the user
	Extension        string   // an internal number
	Groups           []string // group ids to join
}

// CreatedUser is a new user with what was made for it.
type CreatedUser struct {
	User    UserInfo     `json:"user"`
	Devices []DeviceInfo `json:"devices"`
	Number  *NumberInfo  `json:"number,omitempty" doc:"The number now routed to the user"`
	Groups  []string     `json:"groups" doc:"Ids of the groups the user joined"`
}

// newUser is one attempt's outcome of CreateUser.
type newUser struct {
	res   CreatedUser
	acct  model.Account
	user  model.User
	token string
}

// CreateUser creates a user with its devices, number, extension and group
// memberships in one atomic write (admins only), and sends the welcome
// e-mail with a link to set a password.
func (s *Service) CreateUser(ctx context.Context, p auth.Principal, in UserInput) (CreatedUser, error) {
	if !p.Admin() {
		return CreatedUser{}, forbidden("only admins create users")
	}
	made, err := retry(ctx, func() (newUser, error) { return s.createUser(ctx, p, in) })
	if err != nil {
		return CreatedUser{}, err
	}
	s.sendWelcome(ctx, made.acct, made.user, made.token)
	return made.res, nil
}

// checkUser validates what needs no reads and returns the input
// normalized.
func (s *Service) checkUser(in UserInput) (UserInput, Errors) {
	var errs Errors
	var err error
	in.Name, err = text("name", in.Name, true, maxName)
	errs.add(err)
	in.Email, err = email("email", in.Email)
	errs.add(err)
	in.Location, err = text("location", in.Location, false, maxLocation)
	errs.add(err)
	errs.add(language("language", &in.Language))
	if len(in.Devices) > maxNewDevices {
		errs.add(invalid("devices", "at most %d devices can be created with a user", maxNewDevices))
	}
	devs := make([]DeviceInput, len(in.Devices))
	kinds := map[string]int{}
	for i, d := range in.Devices {
		field := fmt.Sprintf("devices[%d]", i)
		errs = append(errs, s.checkDevice(field, &d)...)
		if kinds[d.Kind]++; kinds[d.Kind] == 2 && (d.Kind == model.DeviceVoicemail || d.Kind == model.DeviceFax) {
			errs.add(invalid(field+".kind", "a user has at most one %s", d.Kind))
		}
		devs[i] = d
	}
	in.Devices = devs
	if strings.TrimSpace(in.Number) != "" {
		in.Number, err = s.number("number", in.Number)
		errs.add(err)
	} else {
		in.Number = ""
	}
	in.Extension = strings.TrimSpace(in.Extension)
	if len(in.Groups) > maxJoin {
		errs.add(invalid("groups", "at most %d groups can be joined at once", maxJoin))
	}
	for i, g := range in.Groups {
		switch {
		case g == "":
			errs.add(invalid(fmt.Sprintf("groups[%d]", i), "is empty"))
		case slices.Index(in.Groups, g) < i:
			errs.add(invalid(fmt.Sprintf("groups[%d]", i), "is listed twice"))
		}
	}
	return in, errs
}

// createUser is one attempt of CreateUser: read, check, write. A lost race
// on the account or a group returns the store's conflict, and retry runs
// it again; a taken e-mail, extension or number is a domain error.
func (s *Service) createUser(ctx context.Context, p auth.Principal, raw UserInput) (newUser, error) {
	in, errs := s.checkUser(raw)
	a, err := s.load(ctx, p.Account)
	if err != nil {
		return newUser{}, err
	}
	uid := "w" + strconv.Itoa(a.NextUser)
	if in.Email != "" {
		lpk, lsk := model.LoginKey(in.Email)
		_, err := s.store.Get(ctx, store.Key{PK: lpk, SK: lsk})
		if err == nil {
			errs.add(conflict("email", "is already registered"))
		} else if !errors.Is(err, store.ErrNotFound) {
			return newUser{}, err
		}
	}
	if in.Extension != "" {
		if err := fieldErr(&errs, s.checkExtension(ctx, a, "extension", in.Extension, ExtUser, uid)); err != nil {
			return newUser{}, err
		}
	}
	var num *model.Number
	if in.Number != "" {
		n, err := s.freeNumber(ctx, a.ID, "number", in.Number)
		if err := fieldErr(&errs, err); err != nil {
			return newUser{}, err
		}
		num = n
	}
	groups := make([]model.Group, 0, len(in.Groups))
	for i, gid := range in.Groups {
		g, err := s.group(ctx, a.ID, gid)
		if KindOf(err) == NotFound {
			errs.add(invalid(fmt.Sprintf("groups[%d]", i), "is not a group of this account"))
			continue
		}
		if err != nil {
			return newUser{}, err
		}
		groups = append(groups, g)
	}
	if len(errs) > 0 {
		return newUser{}, ordered(errs)
	}
	plan, _ := PlanByID(a.Plan)
	if a.Users >= plan.Users {
		return newUser{}, &Error{Kind: PlanLimit, Message: fmt.Sprintf("the plan %s allows %d users; upgrade the plan to add more", plan.Name, plan.Users)}
	}

	now := s.now().UTC()
	u := model.User{
		Common:  model.Common{PK: model.AccountPK(a.ID), SK: model.UserKey(a.ID, uid).SK, Type: model.TypeUser, Created: now, Updated: now},
		Account: a.ID, ID: uid, Name: in.Name, Email: in.Email, Admin: in.Admin, MayChangeRouting: in.MayChangeRouting,
		Location: in.Location, Language: in.Language, Extension: in.Extension,
	}
	lpk, lsk := model.LoginKey(in.Email)
	login := model.Login{PK: lpk, SK: lsk, Type: model.TypeLogin, Email: in.Email, Account: a.ID, User: uid}
	ops := []store.Op{
		store.Update(model.AccountKey(a.ID)).
			SetAttr("nextUser", store.N(int64(a.NextUser+1))).
			SetAttr("nextDevice", store.N(int64(a.NextDevice+len(in.Devices)))).
			SetAttr("users", store.N(int64(a.Users+1))).
			If(store.VersionEquals(a.Version)),
		store.Put(mustMarshal(u)).If(store.NotExists()),
		store.Put(mustMarshal(login)).If(store.NotExists()),
	}
	const opLogin = 2
	opExt, opNum := -1, -1
	if in.Extension != "" {
		opExt = len(ops)
		ops = append(ops, reserveExtension(a.ID, in.Extension, ExtUser, uid))
	}
	res := CreatedUser{Devices: make([]DeviceInfo, 0, len(in.Devices)), Groups: make([]string, 0, len(groups))}
	summary := []string{"name", "email"}
	for i, di := range in.Devices {
		d, err := s.newDevice(ctx, a.ID, uid, deviceID(a.ID, a.NextDevice+i), di, now)
		if err != nil {
			return newUser{}, err
		}
		ops = append(ops, store.Put(mustMarshal(d)).If(store.NotExists()))
		res.Devices = append(res.Devices, deviceInfoOf(d, nil))
		summary = append(summary, d.Kind+" "+d.ID)
	}
	if num != nil {
		opNum = len(ops)
		ops = append(ops, routeToUser(*num, uid, now))
		num.Route, num.Target, num.Device = model.RouteUser, uid, ""
		info := NumberInfoOf(*num)
		res.Number = &info
		summary = append(summary, "number "+num.E164)
	}
	for _, g := range groups {
		ops = append(ops, store.Update(model.GroupKey(a.ID, g.ID)).
			SetAttr("members", stringList(append(slices.Clone(g.Members), uid))).
			SetAttr("updated", storedTime(now)).
			If(store.VersionEquals(g.Version)))
		res.Groups = append(res.Groups, g.ID)
		summary = append(summary, "group "+g.ID)
	}
	if in.Extension != "" {
		summary = append(summary, "extension "+in.Extension)
	}
	if in.Admin {
		summary = append(summary, "admin")
	}
	token, setupOp := s.newSetup(a.ID, uid)
	ops = append(ops, setupOp, s.auditOp(a.ID, p.User, "user.create", uid, strings.Join(summary, ", ")))

	err = s.store.Write(ctx, ops...)
	switch at := conflictAt(err); {
	case err == nil:
	case at == opLogin:
		return newUser{}, conflict("email", "is already registered")
	case at == opExt && opExt >= 0:
		return newUser{}, conflict("extension", "is already in use")
	case at == opNum && opNum >= 0:
		return newUser{}, conflict("number", "was routed elsewhere meanwhile")
	default:
		return newUser{}, fmt.Errorf("create user: %w", err)
	}
	res.User = UserInfoOf(u)
	return newUser{res: res, acct: a, user: u, token: token}, nil
}

// routeToUser is the update that routes a number to all of a user's
// phones, on the condition that it did not change since it was read.
func routeToUser(n model.Number, user string, now time.Time) store.Op {
	op := store.Update(model.NumberKey(n.Account, n.E164)).
		SetAttr("route", store.S(model.RouteUser)).
		SetAttr("target", store.S(user)).
		SetAttr("updated", storedTime(now))
	if n.Device != "" {
		op.Remove = []string{"device"}
	}
	return op.If(store.VersionEquals(n.Version))
}

// fieldErr collects a domain error into errs and returns any other error.
func fieldErr(errs *Errors, err error) error {
	if KindOf(err) != 0 {
		errs.add(err)
		return nil
	}
	return err
}

// ordered puts invalid fields before conflicts, so the answer's status is
// that of the input errors while it still names every field.
func ordered(errs Errors) error {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Kind == Invalid && errs[j].Kind != Invalid })
	return errs.err()
}

// stringList is a list of strings as entity structs marshal []string.
func stringList(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = store.S(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// userVersioned reads a user of account with its version.
func (s *Service) userVersioned(ctx context.Context, account, id string) (model.User, error) {
	if id == "" {
		return model.User{}, notFound("user")
	}
	return get[model.User](ctx, s.store, model.UserKey(account, id), "user")
}
