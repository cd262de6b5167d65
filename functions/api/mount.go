package api

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/awsenv"
)

// Registrar mounts one HTTP function's routes; each function package's
// Register is one.
type Registrar func(mux *http.ServeMux, a huma.API, deps Deps)

// Mount builds the mux that serves the given functions, with /healthz and
// the API document.
func Mount(deps Deps, fns ...Registrar) *http.ServeMux {
	mux := http.NewServeMux()
	Health(mux)
	var authn Authenticator
	if deps.Accounts != nil {
		authn = deps.Accounts
	}
	a := New(mux, authn)
	for _, register := range fns {
		register(mux, a, deps)
	}
	return mux
}

// ServeLambda runs an HTTP function on AWS Lambda behind API Gateway (HTTP
// API, payload format 2.0). It does not return. API Gateway sends the
// function only its own paths; a function that also serves the API
// document (/v1/openapi.json) mounts every function's operations so that
// the document is complete.
func ServeLambda(fns ...Registrar) {
	env := awsenv.Must(context.Background())
	mux := Mount(Deps{Store: env.Store, Accounts: env.Accounts, Logger: env.Logger}, fns...)
	lambda.Start(httpadapter.NewV2(mux).ProxyWithContext)
}
