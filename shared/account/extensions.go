package account

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Owner kinds of an extension.
const (
	ExtUser  = "user"
	ExtGroup = "group"
)

// Extension is an internal number in use (A11).
type Extension struct {
	Extension string `json:"extension"`
	Kind      string `json:"kind" enum:"user,group"`
	Owner     string `json:"owner" doc:"User or group id"`
	Name      string `json:"name" doc:"The owner's name"`
}

// reserveExtension is the write that takes an extension for an owner; it
// fails (ErrConflict) when the extension is taken.
func reserveExtension(account, ext, kind, owner string) store.Op {
	k := model.ExtensionKey(account, ext)
	return store.Put(store.Item{
		store.AttrPK: store.S(k.PK), store.AttrSK: store.S(k.SK), model.AttrType: store.S(model.TypeGuard),
		"extension": store.S(ext), "kind": store.S(kind), "owner": store.S(owner),
	}).If(store.NotExists())
}

// releaseExtension frees an extension.
func releaseExtension(account, ext string) store.Op {
	return store.Delete(model.ExtensionKey(account, ext))
}

// checkExtension validates an extension for an account and says whether
// it is free (for owner, it may already be owner's own).
func (s *Service) checkExtension(ctx context.Context, a model.Account, field, ext, kind, owner string) error {
	if err := extension(field, ext, a.ExtMin, a.ExtMax); err != nil {
		return err
	}
	it, err := s.store.Get(ctx, model.ExtensionKey(a.ID, ext))
	if errorsIs(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if str(it, "kind") == kind && str(it, "owner") == owner {
		return nil
	}
	return conflict(field, "is already in use")
}

// Extensions lists the extensions in use in the caller's account with
// their owners, in numeric order.
func (s *Service) Extensions(ctx context.Context, p auth.Principal) ([]Extension, error) {
	users, err := s.allUsers(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	groups, err := s.allGroups(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	var out []Extension
	for _, u := range users {
		if u.Extension != "" {
			out = append(out, Extension{Extension: u.Extension, Kind: ExtUser, Owner: u.ID, Name: u.Name})
		}
	}
	for _, g := range groups {
		if g.Extension != "" {
			out = append(out, Extension{Extension: g.Extension, Kind: ExtGroup, Owner: g.ID, Name: g.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Extension, out[j].Extension
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	})
	return out, nil
}

func str(it store.Item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
