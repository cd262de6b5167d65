package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// Bearer secrets: "<prefix>_<id>_<secret>". The id finds the stored record
// with one consistent read; the secret is random (160 bits) and stored only
// as its SHA-256, which is enough for a random secret (no stretching
// needed, unlike passwords).
const (
	PrefixSession = "sbs" // console session
	PrefixToken   = "sbt" // personal access token
	PrefixSetup   = "sbp" // one-time link to set a password
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Random returns n random bytes as lower-case base32.
func Random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: random: %v", err)) // the system's randomness failing is not recoverable
	}
	return strings.ToLower(enc.EncodeToString(b))
}

// Credential is a freshly made bearer credential.
type Credential struct {
	ID     string // public, stored in the clear
	Secret string // shown once
	Hash   string // SHA-256 of Secret, stored
}

// Bearer is the whole string a client presents.
func (c Credential) Bearer(prefix string) string { return prefix + "_" + c.ID + "_" + c.Secret }

// NewCredential makes a credential with a random id and secret.
func NewCredential() Credential {
	c := Credential{ID: Random(10), Secret: Random(20)}
	c.Hash = HashSecret(c.Secret)
	return c
}

// HashSecret returns the stored form of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a presented secret with a stored hash in
// constant time.
func SecretMatches(hash, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(secret))) == 1
}

// ParseBearer splits a presented bearer string into prefix, id and secret.
func ParseBearer(s string) (prefix, id, secret string, ok bool) {
	parts := strings.Split(s, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || len(s) > 200 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
