package auth

import "context"

// Role of a user in its account.
type Role string

// Roles.
const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// Principal is who a request acts as. Every account-scoped operation takes
// the account from here, never from the request.
type Principal struct {
	Account string // seven-digit account id
	User    string // short user id, e.g. w0
	Role    Role
	// MayChangeRouting is the per-user permission to route own numbers.
	MayChangeRouting bool
	// Via says how the request authenticated: "session" or "token", and
	// CredentialID which session or token it was.
	Via          string
	CredentialID string
}

// Admin reports whether the principal is an admin of its account.
func (p Principal) Admin() bool { return p.Role == RoleAdmin }

type principalKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal ctx carries.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.Account != ""
}
