package model

import "time"

// Items that let people in. They live outside the accounts' partitions
// because they are found by what the caller presents (an e-mail address, a
// credential id) before the account is known.

// Login is the global item of a login e-mail address: it makes the address
// unique across all accounts and holds the password hash.
type Login struct {
	PK           string `dynamodbav:"PK"` // LOGIN#<lower-case e-mail>
	SK           string `dynamodbav:"SK"` // LOGIN
	Type         string `dynamodbav:"type"`
	Email        string `dynamodbav:"email"`
	Account      string `dynamodbav:"account"`
	User         string `dynamodbav:"user"`
	PasswordHash string `dynamodbav:"passwordHash,omitempty"` // empty until the user sets one
}

// LoginKey addresses the login item of an e-mail address (already lower
// case).
func LoginKey(email string) (pk, sk string) { return "LOGIN#" + email, "LOGIN" }

// Credential kinds.
const (
	CredSession = "session" // console session, expires
	CredToken   = "token"   // personal access token, until revoked (or its expiry)
	CredSetup   = "setup"   // one-time link to set a password
)

// Credential is the global item of a bearer credential; only the SHA-256
// of its secret is stored.
type Credential struct {
	PK       string    `dynamodbav:"PK"` // CRED#<id>
	SK       string    `dynamodbav:"SK"` // CRED
	Type     string    `dynamodbav:"type"`
	Kind     string    `dynamodbav:"kind"`
	ID       string    `dynamodbav:"id"`
	Account  string    `dynamodbav:"account"`
	User     string    `dynamodbav:"user"`
	Hash     string    `dynamodbav:"hash"`
	Name     string    `dynamodbav:"name,omitempty"` // tokens: what the owner called it
	Created  time.Time `dynamodbav:"created"`
	Expires  int64     `dynamodbav:"ttl,omitempty"` // Unix seconds; the store hides it after
	LastUsed time.Time `dynamodbav:"lastUsed,omitempty"`
}

// CredentialKey addresses a credential by id.
func CredentialKey(id string) (pk, sk string) { return "CRED#" + id, "CRED" }

// TokenRef is the copy of a personal access token's public data in its
// account's partition, so a user's tokens can be listed.
type TokenRef struct {
	Common
	Account string    `dynamodbav:"account"`
	User    string    `dynamodbav:"user"`
	ID      string    `dynamodbav:"id"`
	Name    string    `dynamodbav:"name"`
	Expires int64     `dynamodbav:"ttl,omitempty"`
	Made    time.Time `dynamodbav:"made"`
}

// Contact is an address-book entry: shared in the account (Owner empty) or
// personal to one user (U8).
type Contact struct {
	Common
	Account string   `dynamodbav:"account"`
	ID      string   `dynamodbav:"id"` // c0, c1, …
	Owner   string   `dynamodbav:"owner,omitempty"`
	Name    string   `dynamodbav:"name"`
	Company string   `dynamodbav:"company,omitempty"`
	Numbers []string `dynamodbav:"numbers,omitempty"` // E.164
	Emails  []string `dynamodbav:"emails,omitempty"`
}

// Audit is one entry of an account's audit trail: who changed what, when.
type Audit struct {
	PK      string    `dynamodbav:"PK"`
	SK      string    `dynamodbav:"SK"` // AUDIT#<time>#<random>, newest last
	Type    string    `dynamodbav:"type"`
	Time    time.Time `dynamodbav:"time"`
	Actor   string    `dynamodbav:"actor"`  // user id, or "" for the system
	Action  string    `dynamodbav:"action"` // e.g. user.create
	Target  string    `dynamodbav:"target"` // e.g. w1
	Summary string    `dynamodbav:"summary,omitempty"`
	Expires int64     `dynamodbav:"ttl,omitempty"`
}
