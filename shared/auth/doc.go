// Package auth is how Switchboard knows who calls: argon2id password
// hashes, random bearer secrets stored only as hashes (console sessions and
// personal access tokens), the principal a request acts as (account, user,
// role, permissions), and an attempt limiter kept in the table so that it
// holds across processes.
//
// It knows no HTTP: the API layer reads credentials from headers and asks
// this package (through the account service) who they belong to.
package auth
