// Package groups serves groups and their members (PRODUCT.md A5).
//
// Its routes are mounted by its Lambda (functions/groups/bootstrap) and by the
// local stack alike. Routes not built yet answer 501 as problem documents.
package groups

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/gateway"
)

// Name is the function's name in the routing table.
const Name = "groups"

// Register mounts the function's routes on mux and its operations on a.
func Register(mux *http.ServeMux, a huma.API, deps api.Deps) {
	_, _ = a, deps
	fn, _ := gateway.Find(Name)
	api.Planned(mux, fn)
}
