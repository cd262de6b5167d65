// Package api is the plumbing every HTTP function shares: the /v1 API
// (github.com/danielgtaylor/huma/v2 on net/http, which derives the OpenAPI
// 3.1 document and request validation from Go types), RFC 9457 problem
// details, and what a function's handlers depend on.
//
// The same mux serves in both shapes: on AWS each function's Lambda serves
// a mux with its own routes through API Gateway; in the local stack one mux
// carries every function's routes. Domain logic lives elsewhere.
package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/store"
)

// Deps is what the handlers of an HTTP function work with.
type Deps struct {
	Store    store.Store
	Accounts *account.Service
	Logger   *slog.Logger
}

// Version of the API document.
const Version = "1.0.0"

// New returns the /v1 API on mux. Its OpenAPI document is served at
// /v1/openapi.json (and .yaml). Secured operations authenticate through
// authn.
func New(mux *http.ServeMux, authn Authenticator) huma.API {
	cfg := huma.DefaultConfig("Switchboard API", Version)
	cfg.Info.Description = "The API of Switchboard, a hosted telephone system: accounts, users, phones, groups, numbers and routing."
	cfg.OpenAPIPath = "/v1/openapi"
	cfg.DocsPath = "/v1/docs"
	cfg.SchemasPath = "/v1/schemas"
	cfg.Components.SecuritySchemes = schemes
	a := humago.New(mux, cfg)
	a.UseMiddleware(remember)
	if authn != nil {
		a.UseMiddleware(authenticate(a, authn))
	}
	return a
}

// Planned mounts the paths of a function that are not built yet: every
// request under its prefixes answers 501 Not Implemented as a problem
// document. Routes that exist are more specific patterns and win.
func Planned(mux *http.ServeMux, fn gateway.Function) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, http.StatusNotImplemented, "Not implemented yet",
			"The "+fn.Name+" function does not serve "+r.Method+" "+r.URL.Path+" yet.")
	})
	for _, p := range fn.Prefixes {
		if strings.HasSuffix(p, ".json") {
			continue // a document, served by the API itself
		}
		mux.Handle(p, h)
		mux.Handle(p+"/", h)
	}
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// WriteProblem writes a problem document outside of huma's handlers.
func WriteProblem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Problem{Type: "about:blank", Title: title, Status: status, Detail: detail})
}

// Health answers GET /healthz.
func Health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
}

// PageIn is the query of every list operation: a cursor from the previous
// page and a page size.
type PageIn struct {
	Cursor string `query:"cursor" maxLength:"1000" doc:"From the previous page's next cursor"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}
