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
	it, err := s.store.Get(ctx, model.UserKey(account, id))
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, notFound("user")
	}
	if err != nil {
		return model.User{}, err
	}
	var u model.User
	if err := store.Unmarshal(it, &u); err != nil {
		return model.User{}, err
	}
	u.Version = store.Version(it)
	return u, nil
}

// Users lists the account's users for an admin, a page at a time; a user
// who is not an admin sees only self.
func (s *Service) Users(ctx context.Context, p auth.Principal, cursor string, limit int) ([]UserInfo, string, error) {
	if !p.Admin() {
		u, err := s.userVersioned(ctx, p.Account, p.User)
		if err != nil {
			return nil, "", err
		}
		return []UserInfo{UserInfoOf(u)}, "", nil
	}
	if limit < 0 || limit > store.MaxLimit {
		return nil, "", invalid("limit", "must be between 1 and %d", store.MaxLimit)
	}
	page, err := s.store.Query(ctx, store.Query{PK: model.AccountPK(p.Account), Prefix: model.UsersPrefix, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", storeErr(err)
	}
	out := make([]UserInfo, 0, len(page.Items))
	for _, it := range page.Items {
		var u model.User
		if err := store.Unmarshal(it, &u); err != nil {
			return nil, "", err
		}
		out = append(out, UserInfoOf(u))
	}
	return out, page.Cursor, nil
}

// User reads one user: any of the account for an admin, else only self.
func (s *Service) User(ctx context.Context, p auth.Principal, id string) (UserInfo, error) {
	if !p.Admin() && id != p.User {
		return UserInfo{}, forbidden("you may read only your own profile")
	}
	u, err := s.userVersioned(ctx, p.Account, id)
	if err != nil {
		return UserInfo{}, err
	}
	return UserInfoOf(u), nil
}

// Forwarding limits (U7).
const (
	maxForwards = 5
	minNoAnswer = 5
	maxNoAnswer = 120
)

// Caller id shown instead of a number (U5).
const anonymous = "anonymous"

// UserUpdate changes a user; nil fields stay as they are. A user may
// change own name, language, caller id and forwarding; the rest is for
// admins.
type UserUpdate struct {
	Name       *string
	Language   *string
	CallerID   *string    // a number routed to the user, "anonymous", or "" for the default
	Forwarding *[]Forward // replaces all rules
	// Admins only.
	Email            *string
	Admin            *bool
	Locked           *bool
	Location         *string
	MayChangeRouting *bool
	Extension        *string // "" removes the extension
}

// allowed says whether p may make the update of user id.
func (in UserUpdate) allowed(p auth.Principal, id string) error {
	if p.Admin() {
		return nil
	}
	if id != p.User {
		return forbidden("you may change only your own profile")
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"email", in.Email != nil}, {"admin", in.Admin != nil}, {"locked", in.Locked != nil}, {"location", in.Location != nil},
		{"mayChangeRouting", in.MayChangeRouting != nil}, {"extension", in.Extension != nil}} {
		if f.set {
			return &Error{Kind: Forbidden, Field: f.name, Message: "only admins change this"}
		}
	}
	return nil
}

// UpdateUser changes a user (PATCH semantics). The user item is written
// on the condition of its version, with the guards of a new e-mail or
// extension in the same write, and the change is audited.
func (s *Service) UpdateUser(ctx context.Context, p auth.Principal, id string, in UserUpdate) (UserInfo, error) {
	if err := in.allowed(p, id); err != nil {
		return UserInfo{}, err
	}
	return retry(ctx, func() (UserInfo, error) { return s.updateUser(ctx, p, id, in) })
}

// userChange collects one update: the user as it will be, the writes that
// go with it and which of them guard the e-mail and the extension.
type userChange struct {
	user    model.User
	ops     []store.Op
	changed []string
	opLogin int
	opExt   int
}

func (c *userChange) set(field string) { c.changed = append(c.changed, field) }

func (s *Service) updateUser(ctx context.Context, p auth.Principal, id string, in UserUpdate) (UserInfo, error) {
	a, err := s.load(ctx, p.Account)
	if err != nil {
		return UserInfo{}, err
	}
	before, err := s.userVersioned(ctx, p.Account, id)
	if err != nil {
		return UserInfo{}, err
	}
	c := &userChange{user: before, opLogin: -1, opExt: -1}
	u := &c.user
	var errs Errors
	if in.Name != nil {
		u.Name, err = text("name", *in.Name, true, maxName)
		errs.add(err)
		c.set("name")
	}
	if in.Language != nil {
		u.Language = *in.Language
		errs.add(language("language", &u.Language))
		c.set("language")
	}
	if in.Location != nil {
		u.Location, err = text("location", *in.Location, false, maxLocation)
		errs.add(err)
		c.set("location")
	}
	if in.Admin != nil {
		u.Admin = *in.Admin
		c.set("admin=" + strconv.FormatBool(u.Admin))
	}
	if in.Locked != nil {
		u.Locked = *in.Locked
		c.set("locked=" + strconv.FormatBool(u.Locked))
	}
	if in.MayChangeRouting != nil {
		u.MayChangeRouting = *in.MayChangeRouting
		c.set("mayChangeRouting=" + strconv.FormatBool(u.MayChangeRouting))
	}
	if in.CallerID != nil {
		u.CallerID, err = s.checkCallerID(ctx, a.ID, u.ID, *in.CallerID)
		if err := fieldErr(&errs, err); err != nil {
			return UserInfo{}, err
		}
		c.set("callerId")
	}
	if in.Forwarding != nil {
		var ferrs Errors
		u.Forwarding, ferrs, err = s.checkForwarding(ctx, a, u.ID, *in.Forwarding)
		if err != nil {
			return UserInfo{}, err
		}
		errs = append(errs, ferrs...)
		c.set("forwarding")
	}
	if in.Email != nil {
		if err := fieldErr(&errs, s.changeEmail(ctx, c, *in.Email)); err != nil {
			return UserInfo{}, err
		}
	}
	if in.Extension != nil {
		if err := fieldErr(&errs, s.changeExtension(ctx, a, c, *in.Extension)); err != nil {
			return UserInfo{}, err
		}
	}
	if err := fieldErr(&errs, s.keepAnAdmin(ctx, before, *u)); err != nil {
		return UserInfo{}, err
	}
	if len(errs) > 0 {
		return UserInfo{}, ordered(errs)
	}
	if len(c.changed) == 0 {
		return UserInfoOf(before), nil
	}
	u.Updated = s.now().UTC()
	ops := append([]store.Op{store.Put(mustMarshal(*u)).If(store.VersionEquals(before.Version))}, c.ops...)
	ops = append(ops, s.auditOp(a.ID, p.User, "user.update", u.ID, strings.Join(c.changed, ", ")))
	err = s.store.Write(ctx, ops...)
	switch at := conflictAt(err); {
	case err == nil:
		return UserInfoOf(*u), nil
	case at >= 1 && at-1 == c.opLogin:
		return UserInfo{}, conflict("email", "is already registered")
	case at >= 1 && at-1 == c.opExt:
		return UserInfo{}, conflict("extension", "is already in use")
	default:
		return UserInfo{}, fmt.Errorf("update user: %w", err)
	}
}

// changeEmail moves the user's login to a new address: the old login item
// is deleted and a new one, with the same password, is put where no login
// is yet.
func (s *Service) changeEmail(ctx context.Context, c *userChange, raw string) error {
	addr, err := email("email", raw)
	if err != nil || addr == c.user.Email {
		return err
	}
	npk, nsk := model.LoginKey(addr)
	if _, err := s.store.Get(ctx, store.Key{PK: npk, SK: nsk}); err == nil {
		return conflict("email", "is already registered")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	login := model.Login{Type: model.TypeLogin, Account: c.user.Account, User: c.user.ID}
	opk, osk := model.LoginKey(c.user.Email)
	it, err := s.store.Get(ctx, store.Key{PK: opk, SK: osk})
	switch {
	case err == nil:
		if err := store.Unmarshal(it, &login); err != nil {
			return err
		}
		c.ops = append(c.ops, store.Delete(store.Key{PK: opk, SK: osk}).If(store.Exists()))
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	login.PK, login.SK, login.Email = npk, nsk, addr
	c.opLogin = len(c.ops)
	c.ops = append(c.ops, store.Put(mustMarshal(login)).If(store.NotExists()))
	c.user.Email = addr
	c.set("email")
	return nil
}

// changeExtension releases the user's extension and reserves the new one.
func (s *Service) changeExtension(ctx context.Context, a model.Account, c *userChange, raw string) error {
	ext := strings.TrimSpace(raw)
	if ext == c.user.Extension {
		return nil
	}
	if ext != "" {
		if err := s.checkExtension(ctx, a, "extension", ext, ExtUser, c.user.ID); err != nil {
			return err
		}
		c.opExt = len(c.ops)
		c.ops = append(c.ops, reserveExtension(a.ID, ext, ExtUser, c.user.ID))
	}
	if c.user.Extension != "" {
		c.ops = append(c.ops, releaseExtension(a.ID, c.user.Extension))
	}
	c.user.Extension = ext
	c.set("extension")
	return nil
}

// keepAnAdmin refuses a change that would leave the account without an
// unlocked admin.
func (s *Service) keepAnAdmin(ctx context.Context, before, after model.User) error {
	if !before.Admin || before.Locked || (after.Admin && !after.Locked) {
		return nil
	}
	users, err := s.allUsers(ctx, before.Account)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID != before.ID && u.Admin && !u.Locked {
			return nil
		}
	}
	field := "admin"
	if after.Admin {
		field = "locked"
	}
	return conflict(field, "the account needs at least one unlocked admin")
}

// checkCallerID checks a caller id: one of the account's numbers routed to
// the user (or to one of the user's devices), "anonymous", or "" for the
// default.
func (s *Service) checkCallerID(ctx context.Context, account, user, raw string) (string, error) {
	v := strings.TrimSpace(raw)
	if v == "" || v == anonymous {
		return v, nil
	}
	e164, err := s.number("callerId", v)
	if err != nil {
		return "", err
	}
	n, err := s.numberItem(ctx, account, "callerId", e164)
	if KindOf(err) == NotFound {
		return "", invalid("callerId", "is not a number of this account")
	}
	if err != nil {
		return "", err
	}
	switch n.Route {
	case model.RouteUser:
		if n.Target == user {
			return e164, nil
		}
	case model.RouteDevice:
		d, err := s.deviceVersioned(ctx, account, n.Target)
		if err == nil && d.Owner == user {
			return e164, nil
		}
		if err != nil && KindOf(err) != NotFound {
			return "", err
		}
	}
	return "", invalid("callerId", "is not a number routed to this user")
}

// checkForwarding checks forwarding rules (U7): when, after how many
// seconds (noAnswer), and a target that is an extension of the account or
// a valid telephone number.
func (s *Service) checkForwarding(ctx context.Context, a model.Account, user string, rules []Forward) ([]model.Forward, Errors, error) {
	var errs Errors
	if len(rules) > maxForwards {
		errs.add(invalid("forwarding", "has more than %d rules", maxForwards))
		return nil, errs, nil
	}
	out := make([]model.Forward, 0, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		field := fmt.Sprintf("forwarding[%d]", i)
		f := model.Forward{When: r.When, After: r.After}
		switch r.When {
		case "always", "busy", "unavailable":
			if r.After != 0 {
				errs.add(invalid(field+".after", "applies only to noAnswer rules"))
			}
		case "noAnswer":
			if f.After < minNoAnswer || f.After > maxNoAnswer {
				errs.add(invalid(field+".after", "must be %d to %d seconds", minNoAnswer, maxNoAnswer))
			}
		default:
			errs.add(invalid(field+".when", "must be always, busy, noAnswer or unavailable"))
		}
		if seen[r.When] {
			errs.add(invalid(field+".when", "has a rule already"))
		}
		seen[r.When] = true
		target, err := s.forwardTarget(ctx, a, user, field+".target", r.Target)
		if err := fieldErr(&errs, err); err != nil {
			return nil, nil, err
		}
		f.Target = target
		out = append(out, f)
	}
	return out, errs, nil
}

// forwardTarget reads a forwarding target: an extension in use in the
// account (not the user's own), or a telephone number in E.164.
func (s *Service) forwardTarget(ctx context.Context, a model.Account, user, field, raw string) (string, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", invalid(field, "is required")
	}
	if extension(field, v, a.ExtMin, a.ExtMax) == nil {
		it, err := s.store.Get(ctx, model.ExtensionKey(a.ID, v))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return "", invalid(field, "is not an extension in use in this account")
		case err != nil:
			return "", err
		case str(it, "kind") == ExtUser && str(it, "owner") == user:
			return "", invalid(field, "is the user's own extension")
		}
		return v, nil
	}
	e164, err := s.number(field, v)
	if err != nil {
		return "", invalid(field, "is neither an extension of this account nor a valid telephone number")
	}
	return e164, nil
}

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
