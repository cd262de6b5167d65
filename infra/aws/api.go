package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
)

// Paths that are not ordinary resource prefixes.
const (
	// openAPIPath is a single document, not a collection: it has no
	// sub-paths and is only ever read.
	openAPIPath = "/v1/openapi.json"
	// healthPath answers load balancers and uptime checks; the accounts
	// function serves it because every deployment has that function.
	healthPath     = "/healthz"
	healthFunction = "accounts"
)

// route is one API Gateway route: a method and a path pattern served by a
// function.
type route struct {
	method   awsapigatewayv2.HttpMethod
	path     string
	function string
}

// routes turns the gateway's routing table into API Gateway routes. A prefix
// P owns P itself and everything below it, which API Gateway expresses as
// two routes: P and P/{proxy+}.
func routes(table []gateway.Function) []route {
	var out []route
	for _, f := range table {
		for _, p := range f.Prefixes {
			if p == openAPIPath {
				out = append(out, route{awsapigatewayv2.HttpMethod_GET, p, f.Name})
				continue
			}
			out = append(out,
				route{awsapigatewayv2.HttpMethod_ANY, p, f.Name},
				route{awsapigatewayv2.HttpMethod_ANY, p + "/{proxy+}", f.Name},
			)
		}
	}
	return append(out, route{awsapigatewayv2.HttpMethod_GET, healthPath, healthFunction})
}

// newAPI defines the HTTP API and its routes. Each function gets one Lambda
// proxy integration (payload format 2.0, the shape the Lambda HTTP adapter
// expects) shared by all of its routes. There is no catch-all route: a path
// no function owns gets API Gateway's 404 without invoking anything.
func newAPI(scope constructs.Construct, fns functions) (awsapigatewayv2.HttpApi, error) {
	api := awsapigatewayv2.NewHttpApi(scope, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String("switchboard"),
		Description: jsii.String("Switchboard HTTP API"),
	})
	integrations := make(map[string]awsapigatewayv2integrations.HttpLambdaIntegration)
	for _, r := range routes(gateway.HTTP) {
		in, ok := integrations[r.function]
		if !ok {
			fn, ok := fns[r.function]
			if !ok {
				return nil, fmt.Errorf("route %s %s: no function %q", r.method, r.path, r.function)
			}
			in = awsapigatewayv2integrations.NewHttpLambdaIntegration(
				jsii.String(r.function+"Integration"), fn,
				&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
					PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				})
			integrations[r.function] = in
		}
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.path),
			Methods:     &[]awsapigatewayv2.HttpMethod{r.method},
			Integration: in,
		})
	}
	return api, nil
}
