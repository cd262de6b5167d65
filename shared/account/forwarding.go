package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

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
