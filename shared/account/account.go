package account

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Info is the account as the API shows it.
type Info struct {
	ID        string    `json:"id" doc:"Seven-digit account id"`
	Company   string    `json:"company"`
	Plan      Plan      `json:"plan"`
	Users     int       `json:"users" doc:"Users in the account"`
	Groups    int       `json:"groups" doc:"Groups in the account"`
	Extension ExtRange  `json:"extensionDigits"`
	Voucher   Voucher   `json:"voucher"`
	Created   time.Time `json:"createdAt"`
}

// ExtRange is how many digits extensions have.
type ExtRange struct {
	Min int `json:"min" minimum:"2" maximum:"6"`
	Max int `json:"max" minimum:"2" maximum:"6"`
}

// Voucher is what is left of the welcome voucher, in minutes.
type Voucher struct {
	Landline int `json:"landlineMinutes"`
	Mobile   int `json:"mobileMinutes"`
}

func infoOf(a model.Account) Info {
	plan, _ := PlanByID(a.Plan)
	return Info{ID: a.ID, Company: a.Company, Plan: plan, Users: a.Users, Groups: a.Groups,
		Extension: ExtRange{Min: a.ExtMin, Max: a.ExtMax}, Voucher: Voucher{Landline: a.FreeLandline, Mobile: a.FreeMobile}, Created: a.Created}
}

// load reads the principal's account item.
func (s *Service) load(ctx context.Context, account string) (model.Account, error) {
	return get[model.Account](ctx, s.store, model.AccountKey(account), "account")
}

// Account returns the caller's account.
func (s *Service) Account(ctx context.Context, p auth.Principal) (Info, error) {
	a, err := s.load(ctx, p.Account)
	if err != nil {
		return Info{}, err
	}
	return infoOf(a), nil
}

// AccountUpdate changes account settings; nil fields stay as they are.
type AccountUpdate struct {
	Company   *string
	Plan      *string
	Extension *ExtRange
}

// UpdateAccount changes the company name, the plan (upgrade or downgrade,
// refused when the account has more users or groups than the new plan
// allows) or the extension length (admins only).
func (s *Service) UpdateAccount(ctx context.Context, p auth.Principal, u AccountUpdate) (Info, error) {
	if !p.Admin() {
		return Info{}, forbidden("only admins change the account")
	}
	return retry(ctx, func() (Info, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return Info{}, err
		}
		var errs Errors
		var summary string
		if u.Company != nil {
			a.Company, err = text("company", *u.Company, true, maxName)
			errs.add(err)
			summary += "company; "
		}
		if u.Plan != nil {
			plan, ok := PlanByID(*u.Plan)
			switch {
			case !ok:
				errs.add(invalid("plan", "is not a plan of the catalogue"))
			case a.Users > plan.Users || a.Groups > plan.Groups:
				errs.add(&Error{Kind: PlanLimit, Field: "plan", Message: fmt.Sprintf("the account has %d users and %d groups; %s allows %d and %d", a.Users, a.Groups, plan.Name, plan.Users, plan.Groups)})
			default:
				a.Plan = plan.ID
				summary += "plan " + plan.ID + "; "
			}
		}
		if e := u.Extension; e != nil {
			if e.Min < 2 || e.Max > 6 || e.Min > e.Max {
				errs.add(invalid("extensionDigits", "must satisfy 2 <= min <= max <= 6"))
			}
			a.ExtMin, a.ExtMax = e.Min, e.Max
			summary += "extension digits; "
		}
		if err := errs.err(); err != nil {
			return Info{}, err
		}
		a.Updated = s.now().UTC()
		err = s.store.Write(ctx, store.Put(mustMarshal(a)).If(store.VersionEquals(a.Version)),
			s.auditOp(p.Account, p.User, "account.update", p.Account, summary))
		return infoOf(a), err
	})
}

// retry runs an optimistic read-modify-write again when its write lost a
// race (a version condition failed), a few times.
//
// Writers that race for one item (several users created in one account at
// once all advance the account's counters) back off for a short random
// time that grows with each attempt, so they spread out instead of
// colliding again.
func retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := fn()
		if err == nil || !errors.Is(err, store.ErrConflict) || attempt == maxAttempts-1 || ctx.Err() != nil {
			if errors.Is(err, store.ErrConflict) {
				return v, &Error{Kind: Conflict, Message: "changed by another request meanwhile; try again"}
			}
			return v, err
		}
		t := time.NewTimer(time.Duration(rand.Int64N(int64(attempt+1) * int64(2*time.Millisecond))))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// maxAttempts bounds retry's attempts.
const maxAttempts = 10
