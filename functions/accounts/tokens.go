package accounts

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
)

func registerTokens(a huma.API, h handlers) {
	tag := []string{"Tokens"}
	huma.Register(a, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/v1/tokens", Tags: tag,
		Summary: "List personal access tokens", Description: "Your own tokens; admins see every user's.", Security: api.Secured}, h.listTokens)
	huma.Register(a, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/v1/tokens", Tags: tag,
		Summary: "Create a personal access token", Description: "The secret is shown in this answer only. Use it as `Authorization: Bearer <secret>` or as Basic `<id>:<secret part>`.",
		DefaultStatus: http.StatusCreated, Security: api.Secured}, h.createToken)
	huma.Register(a, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/v1/tokens/{tokenId}", Tags: tag,
		Summary: "Revoke a personal access token", DefaultStatus: http.StatusNoContent, Security: api.Secured}, h.revokeToken)
}

type tokensOut struct {
	Body struct {
		Items []account.Token `json:"items"`
	}
}

func (h handlers) listTokens(ctx context.Context, _ *struct{}) (*tokensOut, error) {
	ts, err := h.svc.Tokens(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	out := &tokensOut{}
	out.Body.Items = ts
	if out.Body.Items == nil {
		out.Body.Items = []account.Token{}
	}
	return out, nil
}

type createTokenIn struct {
	Body struct {
		Name          string `json:"name" maxLength:"100" doc:"What the token is for"`
		ExpiresInDays int    `json:"expiresInDays,omitempty" minimum:"0" maximum:"730" doc:"0 or absent: no expiry"`
	}
}

type tokenOut struct{ Body account.Token }

func (h handlers) createToken(ctx context.Context, in *createTokenIn) (*tokenOut, error) {
	t, err := h.svc.CreateToken(ctx, api.Principal(ctx), in.Body.Name, in.Body.ExpiresInDays)
	if err != nil {
		return nil, api.Err(err)
	}
	return &tokenOut{Body: t}, nil
}

type tokenIDIn struct {
	TokenID string `path:"tokenId" maxLength:"64"`
}

func (h handlers) revokeToken(ctx context.Context, in *tokenIDIn) (*struct{}, error) {
	return nil, api.Err(h.svc.RevokeToken(ctx, api.Principal(ctx), in.TokenID))
}
