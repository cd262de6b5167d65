package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/phone"
	"github.com/switchboard/switchboard/shared/store"
)

// SignupInput is what a new customer gives.
type SignupInput struct {
	Company  string
	Name     string
	Email    string
	Password string
	Plan     string // default DefaultPlan
	Language string // de or en
}

// SignupResult is the new account, its first admin and a console session.
type SignupResult struct {
	Account model.Account
	User    model.User
	Numbers []model.Number
	Session Session
}

// Welcome voucher (A0): 60 free minutes, 50 to German landlines and 10 to
// German mobile networks, and five test numbers in the 01801 range.
const (
	freeLandline = 50
	freeMobile   = 10
	testNumbers  = 5
)

func (in *SignupInput) check() (Plan, error) {
	var errs Errors
	var err error
	in.Company, err = text("company", in.Company, true, maxName)
	errs.add(err)
	in.Name, err = text("name", in.Name, true, maxName)
	errs.add(err)
	in.Email, err = email("email", in.Email)
	errs.add(err)
	errs.add(password("password", in.Password))
	if in.Plan == "" {
		in.Plan = DefaultPlan
	}
	plan, ok := PlanByID(in.Plan)
	if !ok {
		errs.add(invalid("plan", "is not a plan of the catalogue"))
	}
	errs.add(language("language", &in.Language))
	return plan, errs.err()
}

func language(field string, v *string) error {
	switch *v {
	case "":
		*v = "de"
	case "de", "en":
	default:
		return invalid(field, "must be de or en")
	}
	return nil
}

// Signup creates an account with its first admin (A0): the plan, the
// welcome voucher, five test numbers ready to route, and a session for the
// admin. client identifies the caller's address for rate limiting.
func (s *Service) Signup(ctx context.Context, in SignupInput, client string) (SignupResult, error) {
	if _, err := in.check(); err != nil {
		return SignupResult{}, err
	}
	if err := s.signupLimit.Allow(ctx, client); err != nil {
		return SignupResult{}, limited(err)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return SignupResult{}, err
	}
	// Account ids and test numbers are drawn at random and reserved with
	// guards; a clash is retried with new draws.
	for attempt := 0; attempt < 8; attempt++ {
		res, ops, err := s.signupWrite(in, hash)
		if err != nil {
			return SignupResult{}, err
		}
		err = s.store.Write(ctx, ops...)
		switch at := conflictAt(err); {
		case err == nil:
			return res, nil
		case at == 1:
			return SignupResult{}, conflict("email", "is already registered")
		case at >= 0:
			continue // account id or a number was taken
		default:
			return SignupResult{}, fmt.Errorf("sign up: %w", err)
		}
	}
	return SignupResult{}, errors.New("sign up: no free account id or test numbers after 8 draws")
}

// signupWrite builds the one atomic write of a sign-up: the account (op 0),
// the login (op 1), the user, the test numbers with their guards, the
// session and the audit entry.
func (s *Service) signupWrite(in SignupInput, hash string) (SignupResult, []store.Op, error) {
	now := s.now().UTC()
	id, err := randomDigits(7, "")
	if err != nil {
		return SignupResult{}, nil, err
	}
	acct := model.Account{
		Common: model.Common{PK: model.AccountPK(id), SK: model.AccountKey(id).SK, Type: model.TypeAccount, Created: now, Updated: now},
		ID:     id, Company: in.Company, Plan: in.Plan, NextUser: 1, Users: 1, ExtMin: 2, ExtMax: 4,
		FreeLandline: freeLandline, FreeMobile: freeMobile, ListPK: model.AccountsIndexPK, ListSK: id,
	}
	user := model.User{
		Common:  model.Common{PK: model.AccountPK(id), SK: model.UserKey(id, "w0").SK, Type: model.TypeUser, Created: now, Updated: now},
		Account: id, ID: "w0", Name: in.Name, Email: in.Email, Admin: true, MayChangeRouting: true, Language: in.Language,
	}
	lpk, lsk := model.LoginKey(in.Email)
	login := model.Login{PK: lpk, SK: lsk, Type: model.TypeLogin, Email: in.Email, Account: id, User: "w0", PasswordHash: hash}
	ops := []store.Op{
		store.Put(mustMarshal(acct)).If(store.NotExists()),
		store.Put(mustMarshal(login)).If(store.NotExists()),
		store.Put(mustMarshal(user)).If(store.NotExists()),
	}
	res := SignupResult{Account: acct, User: user}
	seen := map[string]bool{}
	for len(res.Numbers) < testNumbers {
		e164, err := testNumber()
		if err != nil {
			return SignupResult{}, nil, err
		}
		if seen[e164] {
			continue
		}
		seen[e164] = true
		n := model.Number{
			Common:  model.Common{PK: model.AccountPK(id), SK: model.NumberKey(id, e164).SK, Type: model.TypeNumber, Created: now, Updated: now},
			Account: id, E164: e164, Active: true, Test: true, LookupPK: model.NumberLookup(e164), LookupSK: "NUMBER",
		}
		res.Numbers = append(res.Numbers, n)
		ops = append(ops, store.Put(mustMarshal(n)), store.Put(numberGuard(e164, id)).If(store.NotExists()))
	}
	sess, sessOp := s.newSession(id, "w0")
	res.Session = sess
	ops = append(ops, sessOp, s.auditOp(id, "w0", "account.create", id, "signed up with plan "+in.Plan))
	return res, ops, nil
}

// numberGuard reserves a number for an account across all accounts.
func numberGuard(e164, account string) store.Item {
	k := model.NumberGuardKey(e164)
	return store.Item{store.AttrPK: store.S(k.PK), store.AttrSK: store.S(k.SK), model.AttrType: store.S(model.TypeGuard), "account": store.S(account)}
}

// randomDigits draws n decimal digits, the first from first (or 1-9).
func randomDigits(n int, first string) (string, error) {
	b := make([]byte, 0, n)
	if first != "" {
		b = append(b, first...)
	}
	for len(b) < n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		if len(b) == 0 && d.Int64() == 0 {
			continue
		}
		b = append(b, byte('0'+d.Int64()))
	}
	return string(b), nil
}

// testNumber draws a valid number of the German 01801 service range.
func testNumber() (string, error) {
	for i := 0; i < 20; i++ {
		sub, err := randomDigits(6, "")
		if err != nil {
			return "", err
		}
		if e164, err := phone.Normalize("01801"+sub, "DE"); err == nil {
			return e164, nil
		}
	}
	return "", errors.New("no valid 01801 number drawn")
}

func limited(err error) error {
	if errors.Is(err, auth.ErrLimited) {
		return &Error{Kind: Limited, Message: err.Error()}
	}
	return err
}
