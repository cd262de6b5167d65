package directory

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Reader is the part of the table port a snapshot needs.
type Reader interface {
	Query(ctx context.Context, q store.Query) (store.Page, error)
}

// partitionPrefixes are the kinds of items of an account's partition the
// directory reads. The partition also holds audit records, tokens and
// bindings, which can be many; reading by prefix skips them.
var partitionPrefixes = []string{model.UsersPrefix, model.DevicesPrefix, model.GroupsPrefix, model.NumbersPrefix}

// Load reads a snapshot of every account from the table and replaces the
// whole view with it. Accounts are listed through the accounts index
// (model.AccountsIndex, partition model.AccountsIndexPK), then each
// account's users, devices, groups and numbers are read page by page.
//
// The snapshot is not one point in time: the table may change while it is
// read. Following the change stream from a position taken before Load
// repairs that. Load forgets the last applied sequence number, so the
// notifications that follow are all taken.
func (d *Directory) Load(ctx context.Context, r Reader) error {
	st := newState()
	q := store.Query{Index: model.AccountsIndex, PK: model.AccountsIndexPK, Limit: store.MaxLimit}
	for {
		page, err := r.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("directory: list accounts: %w", err)
		}
		for _, item := range page.Items {
			if typeOf(item) != model.TypeAccount {
				continue
			}
			var a model.Account
			if err := decode(item, model.TypeAccount, &a); err != nil {
				return err
			}
			if a.ID == "" {
				continue
			}
			st.putAccount(fromAccount(&a))
			if err := loadAccount(ctx, r, st, a.ID); err != nil {
				return err
			}
		}
		if page.Cursor == "" {
			break
		}
		q.Cursor = page.Cursor
	}
	d.mu.Lock()
	d.st, d.last = st, ""
	d.mu.Unlock()
	c := d.Counts()
	d.log.Info("directory loaded", "accounts", c.Accounts, "users", c.Users, "devices", c.Devices,
		"groups", c.Groups, "numbers", c.Numbers)
	return nil
}

// loadAccount reads the entities of one account's partition into st.
func loadAccount(ctx context.Context, r Reader, st *state, account string) error {
	for _, prefix := range partitionPrefixes {
		q := store.Query{PK: model.AccountPK(account), Prefix: prefix, Limit: store.MaxLimit}
		for {
			page, err := r.Query(ctx, q)
			if err != nil {
				return fmt.Errorf("directory: read account %s (%s): %w", account, prefix, err)
			}
			for _, item := range page.Items {
				if err := loadItem(st, item); err != nil {
					return fmt.Errorf("directory: account %s: %w", account, err)
				}
			}
			if page.Cursor == "" {
				break
			}
			q.Cursor = page.Cursor
		}
	}
	return nil
}

// loadItem decodes one item by its "type" attribute. Items of other types
// under the same prefixes (none today) are skipped.
func loadItem(st *state, item store.Item) error {
	switch typeOf(item) {
	case model.TypeUser:
		var u model.User
		if err := decode(item, model.TypeUser, &u); err != nil {
			return err
		}
		st.putUser(fromUser(&u))
	case model.TypeDevice:
		var dev model.Device
		if err := decode(item, model.TypeDevice, &dev); err != nil {
			return err
		}
		st.putDevice(fromDevice(&dev))
	case model.TypeGroup:
		var g model.Group
		if err := decode(item, model.TypeGroup, &g); err != nil {
			return err
		}
		st.putGroup(fromGroup(&g))
	case model.TypeNumber:
		var n model.Number
		if err := decode(item, model.TypeNumber, &n); err != nil {
			return err
		}
		st.putNumber(fromNumber(&n))
	}
	return nil
}

func typeOf(item store.Item) string {
	if s, ok := item[model.AttrType].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func decode(item store.Item, typ string, v any) error {
	if err := store.Unmarshal(item, v); err != nil {
		k, _ := store.KeyOf(item)
		return fmt.Errorf("decode %s %s: %w", typ, k, err)
	}
	return nil
}
