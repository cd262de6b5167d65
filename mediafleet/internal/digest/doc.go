// Package digest is the server side of SIP Digest authentication
// (RFC 3261 section 22, RFC 7616, RFC 8760) shared by the registrar, which
// challenges REGISTER with 401 and WWW-Authenticate, and the call router,
// which challenges INVITE with 407 and Proxy-Authenticate.
//
// It holds what both need to agree on: the algorithms (MD5 and SHA-256),
// parsing an Authorization value into Credentials, verifying a response
// with qop=auth against an HA1 (Verify), rendering a challenge value
// (Challenge), the stateless nonces every fleet node can check (Nonces),
// and the counter of failed attempts that blocks a source or a device for
// a while (Limiter).
//
// It is not a SIP client: answering a challenge from a trunk is done with
// github.com/icholy/digest. It knows no SIP messages, headers or status
// codes either; which header to read, which code to answer and what to
// log stay with the caller. It keeps no per-nonce state, so it does not
// detect replays within a nonce's lifetime (see Nonces).
package digest
