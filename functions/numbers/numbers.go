// Package numbers serves the account's numbers, their routing and the
// extensions in use (PRODUCT.md A2, A10, A11, U3).
//
// Its routes are mounted by its Lambda (functions/numbers/bootstrap) and
// by the local stack alike; handlers decode, call shared/account and
// encode.
package numbers

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/account"
)

// Name is the function's name in the routing table.
const Name = "numbers"

// Register mounts the function's routes on mux and its operations on a.
func Register(mux *http.ServeMux, a huma.API, deps api.Deps) {
	fn, _ := gateway.Find(Name)
	api.Planned(mux, fn)
	if deps.Accounts == nil {
		return
	}
	h := handlers{svc: deps.Accounts}
	huma.Register(a, huma.Operation{OperationID: "list-numbers", Method: http.MethodGet, Path: "/v1/numbers", Tags: []string{"Numbers"},
		Summary: "List numbers and their routes", Description: "Admins see every number of the account; users the numbers that ring them.", Security: api.Secured}, h.list)
	huma.Register(a, huma.Operation{OperationID: "get-number", Method: http.MethodGet, Path: "/v1/numbers/{number}", Tags: []string{"Numbers"},
		Summary: "Read a number", Security: api.Secured}, h.get)
	huma.Register(a, huma.Operation{OperationID: "route-number", Method: http.MethodPatch, Path: "/v1/numbers/{number}", Tags: []string{"Numbers"},
		Summary: "Choose where a number rings", Description: "To a user (all phones, or exactly one with device), one endpoint, a group, or nowhere. Users may route their own numbers when permitted.",
		Security: api.Secured}, h.route)
	huma.Register(a, huma.Operation{OperationID: "list-extensions", Method: http.MethodGet, Path: "/v1/extensions", Tags: []string{"Extensions"},
		Summary: "List extensions in use", Security: api.Secured}, h.extensions)
}

type handlers struct{ svc *account.Service }

type numbersOut struct {
	Body struct {
		Items []account.NumberInfo `json:"items"`
	}
}

func (h handlers) list(ctx context.Context, _ *struct{}) (*numbersOut, error) {
	ns, err := h.svc.Numbers(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	out := &numbersOut{}
	out.Body.Items = ns
	return out, nil
}

type numberIn struct {
	Number string `path:"number" maxLength:"40" doc:"The number in E.164 (+49…, URL-encoded) or as digits (49…)"`
}

type numberOut struct{ Body account.NumberInfo }

func (h handlers) get(ctx context.Context, in *numberIn) (*numberOut, error) {
	n, err := h.svc.Number(ctx, api.Principal(ctx), plus(in.Number))
	if err != nil {
		return nil, api.Err(err)
	}
	return &numberOut{Body: n}, nil
}

type routeIn struct {
	Number string `path:"number" maxLength:"40"`
	Body   struct {
		Route account.Route `json:"route"`
	}
}

func (h handlers) route(ctx context.Context, in *routeIn) (*numberOut, error) {
	n, err := h.svc.RouteNumber(ctx, api.Principal(ctx), plus(in.Number), in.Body.Route)
	if err != nil {
		return nil, api.Err(err)
	}
	return &numberOut{Body: n}, nil
}

// plus reads a path number given as digits as international.
func plus(n string) string {
	if n != "" && n[0] >= '1' && n[0] <= '9' {
		return "+" + n
	}
	return n
}

type extensionsOut struct {
	Body struct {
		Items []account.Extension `json:"items"`
	}
}

func (h handlers) extensions(ctx context.Context, _ *struct{}) (*extensionsOut, error) {
	es, err := h.svc.Extensions(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	out := &extensionsOut{}
	out.Body.Items = es
	if out.Body.Items == nil {
		out.Body.Items = []account.Extension{}
	}
	return out, nil
}
