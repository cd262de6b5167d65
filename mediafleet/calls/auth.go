package calls

import (
	"fmt"

	"github.com/icholy/digest"

	sipdigest "github.com/switchboard/switchboard/mediafleet/internal/digest"
)

// INVITE authentication is the registrar's (package
// mediafleet/internal/digest holds both): Digest with MD5 and SHA-256
// (RFC 8760) and qop=auth against the directory's HA1 digests, stateless
// nonces stamped with their time and an HMAC, unknown devices answered
// like wrong passwords, and failures counted per source address and per
// device. The challenge is a 407 with Proxy-Authenticate (RFC 3261
// section 22.3), which is how phones expect a server that routes their
// calls to ask.

// maxTracked bounds the keys each failure limiter tracks.
const maxTracked = 100_000

// checkDigest verifies the response of credentials c for method against
// ha1 (hex), in constant time (RFC 7616 section 3.4.1, qop=auth). The
// nonce count goes into the digest as eight hex digits, as it was parsed.
func checkDigest(alg sipdigest.Algorithm, ha1, method string, c *digest.Credentials) bool {
	return sipdigest.Verify(alg, ha1, method, &sipdigest.Credentials{
		Username: c.Username, Realm: c.Realm, Nonce: c.Nonce, URI: c.URI, Response: c.Response,
		Algorithm: c.Algorithm, Cnonce: c.Cnonce, QOP: c.QOP, NC: fmt.Sprintf("%08x", c.Nc),
	})
}
