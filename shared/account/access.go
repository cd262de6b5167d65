package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Lifetimes of credentials.
const (
	SessionTTL  = 12 * time.Hour
	SetupTTL    = 7 * 24 * time.Hour
	maxTokenTTL = 2 * 365 * 24 * time.Hour
)

// Session is a console session: the bearer string is shown once.
type Session struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expiresAt"`
	Account string    `json:"accountId"`
	User    string    `json:"userId"`
}

func (s *Service) newCredential(kind, account, user, name string, ttl time.Duration) (auth.Credential, model.Credential, store.Op) {
	c := auth.NewCredential()
	now := s.now().UTC()
	pk, sk := model.CredentialKey(c.ID)
	mc := model.Credential{PK: pk, SK: sk, Type: model.TypeCred, Kind: kind, ID: c.ID, Account: account, User: user, Hash: c.Hash, Name: name, Created: now}
	if ttl > 0 {
		mc.Expires = now.Add(ttl).Unix()
	}
	return c, mc, store.Put(mustMarshal(mc)).If(store.NotExists())
}

func (s *Service) newSession(account, user string) (Session, store.Op) {
	c, mc, op := s.newCredential(model.CredSession, account, user, "", SessionTTL)
	return Session{Token: c.Bearer(auth.PrefixSession), Expires: time.Unix(mc.Expires, 0).UTC(), Account: account, User: user}, op
}

// Login checks an e-mail address and password and opens a session. Wrong
// addresses and wrong passwords fail alike, in the same time; attempts are
// limited per address and per client.
func (s *Service) Login(ctx context.Context, address, pw, client string) (Session, error) {
	addr, err := email("email", address)
	if err != nil {
		return Session{}, err
	}
	if pw == "" {
		return Session{}, invalid("password", "is required")
	}
	if err := s.clientLimit.Allow(ctx, client); err != nil {
		return Session{}, limited(err)
	}
	if err := s.loginLimit.Allow(ctx, addr); err != nil {
		return Session{}, limited(err)
	}
	pk, sk := model.LoginKey(addr)
	it, err := s.store.Get(ctx, store.Key{PK: pk, SK: sk})
	if errors.Is(err, store.ErrNotFound) {
		auth.Equalize(pw)
		return Session{}, ErrUnauthorized
	}
	if err != nil {
		return Session{}, err
	}
	var login model.Login
	if err := store.Unmarshal(it, &login); err != nil {
		return Session{}, err
	}
	if login.PasswordHash == "" {
		auth.Equalize(pw)
		return Session{}, ErrUnauthorized
	}
	if ok, err := auth.CheckPassword(login.PasswordHash, pw); err != nil || !ok {
		return Session{}, ErrUnauthorized
	}
	u, err := s.userVersioned(ctx, login.Account, login.User)
	if err != nil || u.Locked {
		return Session{}, ErrUnauthorized
	}
	sess, op := s.newSession(login.Account, login.User)
	if err := s.store.Write(ctx, op); err != nil {
		return Session{}, fmt.Errorf("open session: %w", err)
	}
	return sess, nil
}

// Logout ends the session the principal authenticated with.
func (s *Service) Logout(ctx context.Context, p auth.Principal) error {
	if p.Via != model.CredSession {
		return invalid("", "only a session can log out; revoke a token instead")
	}
	pk, sk := model.CredentialKey(p.CredentialID)
	return s.store.Write(ctx, store.Delete(store.Key{PK: pk, SK: sk}))
}

// Authenticate resolves a bearer string (a session or a personal access
// token) to the principal it stands for. A locked user, an expired or
// revoked credential, or a wrong secret all give ErrUnauthorized.
func (s *Service) Authenticate(ctx context.Context, bearer string) (auth.Principal, error) {
	prefix, id, secret, ok := auth.ParseBearer(bearer)
	if !ok {
		return auth.Principal{}, ErrUnauthorized
	}
	kind := map[string]string{auth.PrefixSession: model.CredSession, auth.PrefixToken: model.CredToken}[prefix]
	if kind == "" {
		return auth.Principal{}, ErrUnauthorized
	}
	return s.authenticate(ctx, kind, id, secret)
}

// AuthenticateBasic resolves HTTP Basic credentials "tokenId:secret" of a
// personal access token.
func (s *Service) AuthenticateBasic(ctx context.Context, id, secret string) (auth.Principal, error) {
	if id == "" || secret == "" || len(id) > 64 || len(secret) > 128 {
		return auth.Principal{}, ErrUnauthorized
	}
	return s.authenticate(ctx, model.CredToken, id, secret)
}

func (s *Service) authenticate(ctx context.Context, kind, id, secret string) (auth.Principal, error) {
	pk, sk := model.CredentialKey(id)
	it, err := s.store.Get(ctx, store.Key{PK: pk, SK: sk})
	if errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, ErrUnauthorized
	}
	if err != nil {
		return auth.Principal{}, err
	}
	var c model.Credential
	if err := store.Unmarshal(it, &c); err != nil {
		return auth.Principal{}, err
	}
	if c.Kind != kind || !auth.SecretMatches(c.Hash, secret) {
		return auth.Principal{}, ErrUnauthorized
	}
	u, err := s.userVersioned(ctx, c.Account, c.User)
	if err != nil || u.Locked {
		return auth.Principal{}, ErrUnauthorized
	}
	return principalOf(u, kind, c.ID), nil
}

func principalOf(u model.User, via, credID string) auth.Principal {
	role := auth.RoleUser
	if u.Admin {
		role = auth.RoleAdmin
	}
	return auth.Principal{Account: u.Account, User: u.ID, Role: role, MayChangeRouting: u.MayChangeRouting || u.Admin, Via: via, CredentialID: credID}
}

// newSetup makes the one-time credential of a welcome e-mail's link.
func (s *Service) newSetup(account, user string) (string, store.Op) {
	c, _, op := s.newCredential(model.CredSetup, account, user, "", SetupTTL)
	return c.Bearer(auth.PrefixSetup), op
}

// SetPassword sets a user's password with the one-time token of a welcome
// e-mail's link, uses the token up and opens a session.
func (s *Service) SetPassword(ctx context.Context, token, pw, client string) (Session, error) {
	if err := password("password", pw); err != nil {
		return Session{}, err
	}
	if err := s.clientLimit.Allow(ctx, client); err != nil {
		return Session{}, limited(err)
	}
	prefix, id, secret, ok := auth.ParseBearer(token)
	if !ok || prefix != auth.PrefixSetup {
		return Session{}, invalid("token", "is not a valid link token")
	}
	pk, sk := model.CredentialKey(id)
	it, err := s.store.Get(ctx, store.Key{PK: pk, SK: sk})
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, invalid("token", "is not a valid link token, or was used or has expired")
	}
	if err != nil {
		return Session{}, err
	}
	var c model.Credential
	if err := store.Unmarshal(it, &c); err != nil {
		return Session{}, err
	}
	if c.Kind != model.CredSetup || !auth.SecretMatches(c.Hash, secret) {
		return Session{}, invalid("token", "is not a valid link token, or was used or has expired")
	}
	u, err := s.userVersioned(ctx, c.Account, c.User)
	if err != nil {
		return Session{}, invalid("token", "belongs to a user that no longer exists")
	}
	if u.Locked {
		return Session{}, ErrUnauthorized
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return Session{}, err
	}
	lpk, lsk := model.LoginKey(u.Email)
	sess, sessOp := s.newSession(c.Account, c.User)
	err = s.store.Write(ctx,
		store.Delete(store.Key{PK: pk, SK: sk}).If(store.Exists()),
		store.Update(store.Key{PK: lpk, SK: lsk}).SetAttr("passwordHash", store.S(hash)).If(store.Exists()),
		sessOp,
		s.auditOp(c.Account, c.User, "user.password", c.User, "set from the welcome link"))
	if conflictAt(err) >= 0 {
		return Session{}, invalid("token", "is not a valid link token, or was used or has expired")
	}
	if err != nil {
		return Session{}, fmt.Errorf("set password: %w", err)
	}
	return sess, nil
}
