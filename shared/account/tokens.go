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

// Token is a personal access token as listed; Secret is set only in the
// answer that creates it.
type Token struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	User    string     `json:"userId"`
	Created time.Time  `json:"createdAt"`
	Expires *time.Time `json:"expiresAt,omitempty"`
	Secret  string     `json:"secret,omitempty"`
}

// CreateToken makes a personal access token for the principal's own user.
// days 0 means no expiry.
func (s *Service) CreateToken(ctx context.Context, p auth.Principal, name string, days int) (Token, error) {
	name, err := text("name", name, true, maxName)
	if err != nil {
		return Token{}, err
	}
	ttl := time.Duration(days) * 24 * time.Hour
	if days < 0 || ttl > maxTokenTTL {
		return Token{}, invalid("expiresInDays", "must be between 0 (no expiry) and %d", int(maxTokenTTL.Hours()/24))
	}
	c, mc, op := s.newCredential(model.CredToken, p.Account, p.User, name, ttl)
	ref := model.TokenRef{
		Common:  model.Common{PK: model.AccountPK(p.Account), SK: model.TokenRefKey(p.Account, c.ID).SK, Type: model.TypeToken, Created: mc.Created},
		Account: p.Account, User: p.User, ID: c.ID, Name: name, Expires: mc.Expires, Made: mc.Created,
	}
	err = s.store.Write(ctx, op, store.Put(mustMarshal(ref)).If(store.NotExists()),
		s.auditOp(p.Account, p.User, "token.create", c.ID, name))
	if err != nil {
		return Token{}, fmt.Errorf("create token: %w", err)
	}
	t := tokenOf(ref)
	t.Secret = c.Bearer(auth.PrefixToken)
	return t, nil
}

func tokenOf(r model.TokenRef) Token {
	t := Token{ID: r.ID, Name: r.Name, User: r.User, Created: r.Made}
	if r.Expires > 0 {
		e := time.Unix(r.Expires, 0).UTC()
		t.Expires = &e
	}
	return t
}

// Tokens lists the principal's own tokens (admins: every user's).
func (s *Service) Tokens(ctx context.Context, p auth.Principal) ([]Token, error) {
	var out []Token
	q := store.Query{PK: model.AccountPK(p.Account), Prefix: model.TokensPrefix, Limit: store.MaxLimit}
	for i := 0; i < 100; i++ {
		page, err := s.store.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			var r model.TokenRef
			if err := store.Unmarshal(it, &r); err != nil {
				return nil, err
			}
			if r.User == p.User || p.Admin() {
				out = append(out, tokenOf(r))
			}
		}
		if page.Cursor == "" {
			break
		}
		q.Cursor = page.Cursor
	}
	return out, nil
}

// RevokeToken deletes a token of the principal's own (admins: any in the
// account).
func (s *Service) RevokeToken(ctx context.Context, p auth.Principal, id string) error {
	it, err := s.store.Get(ctx, model.TokenRefKey(p.Account, id))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("token")
	}
	if err != nil {
		return err
	}
	var r model.TokenRef
	if err := store.Unmarshal(it, &r); err != nil {
		return err
	}
	if r.User != p.User && !p.Admin() {
		return notFound("token")
	}
	pk, sk := model.CredentialKey(id)
	return s.store.Write(ctx, store.Delete(model.TokenRefKey(p.Account, id)), store.Delete(store.Key{PK: pk, SK: sk}),
		s.auditOp(p.Account, p.User, "token.revoke", id, r.Name))
}
