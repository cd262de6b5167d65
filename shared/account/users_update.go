package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

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
