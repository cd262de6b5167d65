// Package users serves users, their phones and external phones, SIP credentials and contacts (PRODUCT.md A3, A4, P1–P3, U4, U5, U7, U8).
//
// Its routes are mounted by its Lambda (functions/users/bootstrap) and by the
// local stack alike. Routes not built yet answer 501 as problem documents.
package users

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/gateway"
)

// Name is the function's name in the routing table.
const Name = "users"

// Register mounts the function's routes on mux and its operations on a.
func Register(mux *http.ServeMux, a huma.API, deps api.Deps) {
	_, _ = a, deps
	fn, _ := gateway.Find(Name)
	api.Planned(mux, fn)
}
