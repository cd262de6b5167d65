package accounts

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
)

func registerSessions(a huma.API, h handlers) {
	tag := []string{"Sessions"}
	huma.Register(a, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/v1/sessions", Tags: tag,
		Summary: "Log in", Description: "Opens a console session with e-mail and password. Attempts are limited per address and per client.",
		DefaultStatus: http.StatusCreated}, h.login)
	huma.Register(a, huma.Operation{OperationID: "logout", Method: http.MethodDelete, Path: "/v1/sessions", Tags: tag,
		Summary: "Log out", Description: "Ends the session the request authenticates with.", DefaultStatus: http.StatusNoContent, Security: api.Secured}, h.logout)
	huma.Register(a, huma.Operation{OperationID: "set-password", Method: http.MethodPost, Path: "/v1/sessions/setup", Tags: tag,
		Summary: "Set a password from a link", Description: "Sets a new user's password with the one-time token of the welcome e-mail's link, and opens a session.",
		DefaultStatus: http.StatusCreated}, h.setup)
}

type loginIn struct {
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"200"`
	}
}

type sessionOut struct{ Body account.Session }

func (h handlers) login(ctx context.Context, in *loginIn) (*sessionOut, error) {
	s, err := h.svc.Login(ctx, in.Body.Email, in.Body.Password, api.Client(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	return &sessionOut{Body: s}, nil
}

func (h handlers) logout(ctx context.Context, _ *struct{}) (*struct{}, error) {
	return nil, api.Err(h.svc.Logout(ctx, api.Principal(ctx)))
}

type setupIn struct {
	Body struct {
		Token    string `json:"token" maxLength:"200" doc:"The token of the welcome e-mail's link"`
		Password string `json:"password" minLength:"10" maxLength:"200"`
	}
}

func (h handlers) setup(ctx context.Context, in *setupIn) (*sessionOut, error) {
	s, err := h.svc.SetPassword(ctx, in.Body.Token, in.Body.Password, api.Client(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	return &sessionOut{Body: s}, nil
}
