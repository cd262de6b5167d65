package digest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Verify computes the expected response for the credentials, the request
// method and the HA1 (hex) and compares it in constant time with the one
// the client sent (hex, either case). It allocates nothing for values of
// usual length. The uri parameter is taken as the client sent it: the
// caller decides whether it must match the Request-URI.
func Verify(alg Algorithm, ha1, method string, c *Credentials) bool {
	n := alg.size()
	if len(c.Response) != 2*n {
		return false
	}
	var given [sha256.Size]byte
	var src [2 * sha256.Size]byte
	copy(src[:], c.Response)
	if _, err := hex.Decode(given[:n], src[:2*n]); err != nil {
		return false
	}
	var want [sha256.Size]byte
	response(alg, ha1, method, c, &want)
	return subtle.ConstantTimeCompare(want[:n], given[:n]) == 1
}

// Response is the response a client computes for the credentials (the
// Response field aside), in hex: what a test phone puts in its
// Authorization header.
func Response(alg Algorithm, ha1, method string, c *Credentials) string {
	var out [sha256.Size]byte
	response(alg, ha1, method, c, &out)
	return hex.EncodeToString(out[:alg.size()])
}

// response computes the response digest (RFC 7616 section 3.4.1,
// qop=auth) into out:
//
//	response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" hex(H(method ":" uri)))
func response(alg Algorithm, ha1, method string, c *Credentials, out *[sha256.Size]byte) {
	n := alg.size()
	var buf [512]byte
	b := append(buf[:0], method...)
	b = append(b, ':')
	b = append(b, c.URI...)
	alg.sum(b, out)
	var ha2 [2 * sha256.Size]byte
	hex.Encode(ha2[:], out[:n])

	b = append(buf[:0], ha1...)
	b = append(b, ':')
	b = append(b, c.Nonce...)
	b = append(b, ':')
	b = append(b, c.NC...)
	b = append(b, ':')
	b = append(b, c.Cnonce...)
	b = append(b, ':')
	b = append(b, c.QOP...)
	b = append(b, ':')
	b = append(b, ha2[:2*n]...)
	alg.sum(b, out)
}

// Challenge renders the value of a WWW-Authenticate or Proxy-Authenticate
// header offering alg with qop=auth; stale tells the client that only the
// nonce was too old (RFC 7616 section 3.3), so it retries without asking
// its user.
func Challenge(realm, nonce string, alg Algorithm, stale bool) string {
	var b strings.Builder
	b.Grow(96 + len(realm) + len(nonce))
	b.WriteString(`Digest realm="`)
	b.WriteString(realm)
	b.WriteString(`", nonce="`)
	b.WriteString(nonce)
	b.WriteString(`", algorithm=`)
	b.WriteString(alg.String())
	b.WriteString(`, qop="auth"`)
	if stale {
		b.WriteString(`, stale=true`)
	}
	return b.String()
}
