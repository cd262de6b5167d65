// Package accounts serves sign-up, sessions, personal access tokens, the
// account itself, its audit trail (PRODUCT.md A0, A1) and its webhook
// settings and delivery log.
//
// Its routes are mounted by its Lambda (functions/accounts/bootstrap) and
// by the local stack alike. It decodes, calls the account domain
// (shared/account) and encodes; nothing else.
package accounts

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/model"
)

// Name is the function's name in the routing table.
const Name = "accounts"

// Register mounts the function's routes on mux and its operations on a,
// with webhook URLs held to account.StrictURLs (https to public hosts).
func Register(mux *http.ServeMux, a huma.API, deps api.Deps) {
	register(mux, a, deps, account.StrictURLs)
}

func register(mux *http.ServeMux, a huma.API, deps api.Deps, webhookURLs account.URLPolicy) {
	fn, _ := gateway.Find(Name)
	api.Planned(mux, fn)
	if deps.Accounts == nil {
		return
	}
	h := handlers{svc: deps.Accounts}
	tag := []string{"Account"}
	huma.Register(a, huma.Operation{OperationID: "signup", Method: http.MethodPost, Path: "/v1/accounts", Tags: tag,
		Summary: "Sign up", Description: "Creates an account with its first admin, a plan, the welcome voucher (60 free minutes) and five test numbers, and opens a session.",
		DefaultStatus: http.StatusCreated}, h.signup)
	huma.Register(a, huma.Operation{OperationID: "get-account", Method: http.MethodGet, Path: "/v1/account", Tags: tag,
		Summary: "Read the account", Security: api.Secured}, h.getAccount)
	huma.Register(a, huma.Operation{OperationID: "update-account", Method: http.MethodPatch, Path: "/v1/account", Tags: tag,
		Summary: "Change the account", Description: "Company name, plan (upgrade or downgrade) and extension length. Admins only.", Security: api.Secured}, h.updateAccount)
	huma.Register(a, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/v1/audit", Tags: tag,
		Summary: "Read the audit trail", Description: "Who changed what, when; newest first. Admins only.", Security: api.Secured}, h.audit)
	registerSessions(a, h)
	registerTokens(a, h)
	registerWebhooks(a, h, deps, webhookURLs)
}

type handlers struct{ svc *account.Service }

// SignupBody is the sign-up request.
type SignupBody struct {
	Company  string `json:"company" minLength:"1" maxLength:"100" doc:"Company name"`
	Name     string `json:"name" minLength:"1" maxLength:"100" doc:"The first admin's name"`
	Email    string `json:"email" maxLength:"254" format:"email" doc:"The first admin's login e-mail"`
	Password string `json:"password" minLength:"10" maxLength:"200" doc:"The first admin's password"`
	Plan     string `json:"plan,omitempty" enum:"team-3,team-10,team-25,team-100" doc:"Plan id; default team-10"`
	Language string `json:"language,omitempty" enum:"de,en" doc:"Language of e-mails and the console; default de"`
}

// SignupResult is what sign-up answers.
type SignupResult struct {
	Account account.Info         `json:"account"`
	User    account.UserInfo     `json:"user"`
	Numbers []account.NumberInfo `json:"numbers"`
	Session account.Session      `json:"session"`
}

type signupIn struct{ Body SignupBody }

type signupOut struct{ Body SignupResult }

func (h handlers) signup(ctx context.Context, in *signupIn) (*signupOut, error) {
	res, err := h.svc.Signup(ctx, account.SignupInput{Company: in.Body.Company, Name: in.Body.Name, Email: in.Body.Email,
		Password: in.Body.Password, Plan: in.Body.Plan, Language: in.Body.Language}, api.Client(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	out := &signupOut{Body: SignupResult{Account: h.svc.InfoOf(res.Account), User: account.UserInfoOf(res.User), Session: res.Session}}
	for _, n := range res.Numbers {
		out.Body.Numbers = append(out.Body.Numbers, account.NumberInfoOf(n))
	}
	return out, nil
}

type accountOut struct{ Body account.Info }

func (h handlers) getAccount(ctx context.Context, _ *struct{}) (*accountOut, error) {
	info, err := h.svc.Account(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	return &accountOut{Body: info}, nil
}

// AccountPatch changes account settings; absent fields stay.
type AccountPatch struct {
	Company   *string           `json:"company,omitempty" maxLength:"100"`
	Plan      *string           `json:"plan,omitempty" enum:"team-3,team-10,team-25,team-100"`
	Extension *account.ExtRange `json:"extensionDigits,omitempty"`
}

type accountPatchIn struct{ Body AccountPatch }

func (h handlers) updateAccount(ctx context.Context, in *accountPatchIn) (*accountOut, error) {
	info, err := h.svc.UpdateAccount(ctx, api.Principal(ctx), account.AccountUpdate{Company: in.Body.Company, Plan: in.Body.Plan, Extension: in.Body.Extension})
	if err != nil {
		return nil, api.Err(err)
	}
	return &accountOut{Body: info}, nil
}

type auditOut struct {
	Body struct {
		Items []account.AuditEntry `json:"items"`
		Next  string               `json:"next,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (h handlers) audit(ctx context.Context, in *api.PageIn) (*auditOut, error) {
	items, next, err := h.svc.Audit(ctx, api.Principal(ctx), in.Cursor, in.Limit)
	if err != nil {
		return nil, api.Err(err)
	}
	out := &auditOut{}
	out.Body.Items, out.Body.Next = items, next
	if out.Body.Items == nil {
		out.Body.Items = []account.AuditEntry{}
	}
	return out, nil
}

var _ = model.TypeUser
