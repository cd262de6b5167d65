package api

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/auth"
)

// Security schemes of operations: a console session or personal access
// token as a bearer string, or a token as Basic tokenId:secret.
var (
	Secured   = []map[string][]string{{"bearer": {}}, {"basic": {}}}
	schemes   = map[string]*huma.SecurityScheme{"bearer": {Type: "http", Scheme: "bearer", Description: "A console session (sbs_…) or personal access token (sbt_…)."}, "basic": {Type: "http", Scheme: "basic", Description: "A personal access token as tokenId:secret."}}
	principal = struct{}{}
)

// Authenticator resolves credentials; *account.Service is one.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Principal, error)
	AuthenticateBasic(ctx context.Context, id, secret string) (auth.Principal, error)
}

// authenticate is the middleware that admits a request to a secured
// operation only with valid credentials, and puts the principal into its
// context for the handler.
func authenticate(a huma.API, authn Authenticator) func(ctx huma.Context, next func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		if op == nil || len(op.Security) == 0 {
			next(ctx)
			return
		}
		p, err := credentials(ctx, authn)
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="switchboard"`)
			_ = huma.WriteErr(a, ctx, http.StatusUnauthorized, "Missing or invalid credentials")
			return
		}
		next(huma.WithContext(ctx, auth.With(ctx.Context(), p)))
	}
}

func credentials(ctx huma.Context, authn Authenticator) (auth.Principal, error) {
	h := ctx.Header("Authorization")
	scheme, value, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		return authn.Authenticate(ctx.Context(), strings.TrimSpace(value))
	case "basic":
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		if id, secret, ok := r.BasicAuth(); ok {
			return authn.AuthenticateBasic(ctx.Context(), id, secret)
		}
	}
	return auth.Principal{}, account.ErrUnauthorized
}

// Principal returns the caller of a secured operation.
func Principal(ctx context.Context) auth.Principal {
	p, _ := auth.From(ctx)
	return p
}

type clientKey struct{}

// Client returns the caller's address, for rate limits.
func Client(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}

// remember puts the caller's address into every operation's context.
func remember(ctx huma.Context, next func(huma.Context)) {
	host, _, err := net.SplitHostPort(ctx.RemoteAddr())
	if err != nil {
		host = ctx.RemoteAddr()
	}
	next(huma.WithValue(ctx, clientKey{}, host))
}
