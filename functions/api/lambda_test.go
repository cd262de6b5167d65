package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/groups"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// TestLambdaEvents drives the handlers the way API Gateway (HTTP API,
// payload 2.0) invokes a Lambda: the same mux behind the adapter that the
// functions' mains use.
func TestLambdaEvents(t *testing.T) {
	dir := t.TempDir()
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(dir, "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kf, err := secret.OpenKeyFile(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(account.Config{Realm: "sip.test"}, db, secret.Envelope{KEK: kf}, mail.Folder{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httpadapter.NewV2(api.Mount(api.Deps{Store: db, Accounts: svc}, accounts.Register, groups.Register)).ProxyWithContext
	call := func(method, path, body, token string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		req := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "ANY " + path, RawPath: path, Body: body,
			Headers: map[string]string{"content-type": "application/json"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "203.0.113.7"},
			},
		}
		if token != "" {
			req.Headers["authorization"] = "Bearer " + token
		}
		resp, err := proxy(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := call("POST", "/v1/accounts", `{"company":"Acme","name":"Ada","email":"ada@acme.example","password":"correct horse battery"}`, "")
	if resp.StatusCode != 201 {
		t.Fatalf("sign up: %d %s", resp.StatusCode, resp.Body)
	}
	var signup struct {
		Session struct{ Token string } `json:"session"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &signup); err != nil || signup.Session.Token == "" {
		t.Fatalf("sign-up body %s", resp.Body)
	}
	if resp = call("POST", "/v1/groups", `{"name":"Sales"}`, signup.Session.Token); resp.StatusCode != 201 {
		t.Fatalf("create group: %d %s", resp.StatusCode, resp.Body)
	}
	resp = call("GET", "/v1/groups", "", "")
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Headers["Content-Type"], "application/problem+json") {
		t.Fatalf("without credentials: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	if resp = call("GET", "/v1/groups/g0/voicemail", "", ""); resp.StatusCode != 501 {
		t.Fatalf("planned route: %d", resp.StatusCode)
	}
	if resp = call("GET", "/healthz", "", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}

func TestErrHidesInternalErrors(t *testing.T) {
	err := api.Err(errors.New("dynamodb: table switchboard-prod: throttled at 10.0.3.4"))
	var se huma.StatusError
	if !errors.As(err, &se) || se.GetStatus() != 500 {
		t.Fatalf("got %v", err)
	}
	b, _ := json.Marshal(se)
	if strings.Contains(string(b), "dynamodb") || strings.Contains(string(b), "10.0.3.4") {
		t.Fatalf("problem reveals the internal error: %s", b)
	}
	err = api.Err(&account.Error{Kind: account.Conflict, Field: "extension", Message: "is already in use"})
	if !errors.As(err, &se) || se.GetStatus() != 409 {
		t.Fatalf("domain conflict: %v", err)
	}
	b, _ = json.Marshal(se)
	if !strings.Contains(string(b), `"location":"body.extension"`) {
		t.Fatalf("conflict problem %s", b)
	}
	err = api.Err(&account.Error{Kind: account.Invalid, Field: "cursor", Message: "is not a cursor of this list"})
	if b, _ := json.Marshal(err); !strings.Contains(string(b), `"location":"query.cursor"`) {
		t.Fatalf("cursor problem %s", b)
	}
}
