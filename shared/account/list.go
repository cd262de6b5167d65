package account

import (
	"context"
	"errors"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// all reads every item of one kind in an account's partition (bounded:
// the plan limits how many there are).
func all[T any](ctx context.Context, st store.Store, account, prefix string) ([]T, error) {
	var out []T
	q := store.Query{PK: model.AccountPK(account), Prefix: prefix, Limit: store.MaxLimit}
	for page := 0; page < 100; page++ {
		p, err := st.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			var v T
			if err := store.Unmarshal(it, &v); err != nil {
				return nil, err
			}
			setVersion(&v, store.Version(it))
			out = append(out, v)
		}
		if p.Cursor == "" {
			break
		}
		q.Cursor = p.Cursor
	}
	return out, nil
}

// get reads one entity by key with its version; a missing item is the
// domain's NotFound for what.
func get[T any](ctx context.Context, st store.Store, key store.Key, what string) (T, error) {
	var v T
	it, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return v, notFound(what)
	}
	if err != nil {
		return v, err
	}
	if err := store.Unmarshal(it, &v); err != nil {
		return v, err
	}
	setVersion(&v, store.Version(it))
	return v, nil
}

// setVersion copies the store's version into entities that embed
// model.Common.
func setVersion(v any, n int64) {
	if c, ok := v.(interface{ SetVersion(int64) }); ok {
		c.SetVersion(n)
	}
}

func (s *Service) allUsers(ctx context.Context, account string) ([]model.User, error) {
	return all[model.User](ctx, s.store, account, model.UsersPrefix)
}

func (s *Service) allGroups(ctx context.Context, account string) ([]model.Group, error) {
	return all[model.Group](ctx, s.store, account, model.GroupsPrefix)
}

func (s *Service) allDevices(ctx context.Context, account string) ([]model.Device, error) {
	return all[model.Device](ctx, s.store, account, model.DevicesPrefix)
}

func (s *Service) allNumbers(ctx context.Context, account string) ([]model.Number, error) {
	return all[model.Number](ctx, s.store, account, model.NumbersPrefix)
}
