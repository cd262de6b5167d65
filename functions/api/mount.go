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

// ServeLambda runs one HTTP function on AWS Lambda behind API Gateway (HTTP
// API, payload format 2.0). It does not return.
func ServeLambda(register Registrar) {
	env := awsenv.Must(context.Background())
	mux := Mount(Deps{Store: env.Store, Accounts: env.Accounts, Logger: env.Logger}, register)
	lambda.Start(httpadapter.NewV2(mux).ProxyWithContext)
}
