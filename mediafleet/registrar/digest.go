package registrar

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
)

// algorithm is a digest algorithm of RFC 8760 the registrar accepts.
type algorithm uint8

const (
	algUnknown algorithm = iota
	algMD5
	algSHA256
)

func parseAlgorithm(s string) algorithm {
	switch {
	case s == "" || strings.EqualFold(s, "MD5"):
		return algMD5 // RFC 3261: no algorithm parameter means MD5
	case strings.EqualFold(s, "SHA-256"):
		return algSHA256
	}
	return algUnknown
}

func (a algorithm) String() string {
	switch a {
	case algMD5:
		return "MD5"
	case algSHA256:
		return "SHA-256"
	}
	return "unknown"
}

// size is the length of the algorithm's digest in bytes.
func (a algorithm) size() int {
	if a == algSHA256 {
		return sha256.Size
	}
	return md5.Size
}

// sum hashes b into out (the first size bytes).
func (a algorithm) sum(b []byte, out *[sha256.Size]byte) {
	if a == algSHA256 {
		*out = sha256.Sum256(b)
		return
	}
	s := md5.Sum(b)
	copy(out[:], s[:])
}

// credentials are the parameters of a Digest Authorization header (RFC
// 3261 section 22.4, RFC 7616 section 3.4). The strings point into the
// header value; nothing is copied unless a quoted value has escapes.
type credentials struct {
	username, realm, nonce, uri, response string
	algorithm, cnonce, qop, nc, opaque    string
	userhash                              string
}

// Errors of parseCredentials.
var (
	errNotDigest = errors.New("not a Digest authorization")
	errMalformed = errors.New("malformed Digest authorization")
	errDuplicate = errors.New("repeated Digest parameter")
	errTooLong   = errors.New("Digest authorization too long")
)

// maxHeaderValue bounds the Authorization value parsed.
const maxHeaderValue = 4096

// parseCredentials parses the value of an Authorization header. It
// accepts what RFC 7616 section 3.4 allows: the scheme, then
// comma-separated name=value pairs with optional white space, values as
// tokens or quoted strings. Unknown parameters are ignored; a parameter
// given twice is an error.
func parseCredentials(v string) (credentials, error) {
	var c credentials
	if len(v) > maxHeaderValue {
		return c, errTooLong
	}
	v = trimLWS(v)
	if len(v) < 7 || !strings.EqualFold(v[:6], "Digest") || !isLWS(v[6]) {
		return c, errNotDigest
	}
	rest := trimLWS(v[7:])
	for rest != "" {
		var name, value string
		var err error
		name, value, rest, err = nextParam(rest)
		if err != nil {
			return c, err
		}
		var dst *string
		switch strings.ToLower(name) {
		case "username":
			dst = &c.username
		case "realm":
			dst = &c.realm
		case "nonce":
			dst = &c.nonce
		case "uri":
			dst = &c.uri
		case "response":
			dst = &c.response
		case "algorithm":
			dst = &c.algorithm
		case "cnonce":
			dst = &c.cnonce
		case "qop":
			dst = &c.qop
		case "nc":
			dst = &c.nc
		case "opaque":
			dst = &c.opaque
		case "userhash":
			dst = &c.userhash
		default:
			continue
		}
		if *dst != "" {
			return c, errDuplicate
		}
		*dst = value
	}
	return c, nil
}

// nextParam cuts one name=value pair and the comma after it off s.
func nextParam(s string) (name, value, rest string, err error) {
	i := 0
	for i < len(s) && isToken(s[i]) {
		i++
	}
	if i == 0 {
		return "", "", "", errMalformed
	}
	name, s = s[:i], trimLWS(s[i:])
	if s == "" || s[0] != '=' {
		return "", "", "", errMalformed
	}
	s = trimLWS(s[1:])
	if s != "" && s[0] == '"' {
		value, s, err = quoted(s)
		if err != nil {
			return "", "", "", err
		}
	} else {
		i = 0
		for i < len(s) && isToken(s[i]) {
			i++
		}
		if i == 0 {
			return "", "", "", errMalformed
		}
		value, s = s[:i], s[i:]
	}
	s = trimLWS(s)
	switch {
	case s == "":
	case s[0] == ',':
		s = trimLWS(s[1:])
		if s == "" {
			return "", "", "", errMalformed // a trailing comma
		}
	default:
		return "", "", "", errMalformed
	}
	return name, value, s, nil
}

// quoted reads a quoted string at the start of s (which begins with a
// double quote) and returns its content and what follows it. Escapes
// (backslash pairs) are rare in Digest values; only then is the value
// copied to remove them.
func quoted(s string) (value, rest string, err error) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			if !escaped {
				return s[1:i], s[i+1:], nil
			}
			return unescape(s[1:i]), s[i+1:], nil
		case '\r', '\n', 0:
			return "", "", errMalformed
		}
	}
	return "", "", errMalformed
}

func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' }

func trimLWS(s string) string {
	for s != "" && isLWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isLWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// isToken reports whether c may appear in a token (RFC 3261 section 25.1).
func isToken(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-.!%*_+`'~", c) >= 0
}

// checkResponse computes the expected response for the credentials, the
// request method and the HA1 (hex) and compares it in constant time with
// the one the client sent (hex, either case). It allocates nothing for
// values of usual length.
func checkResponse(alg algorithm, ha1, method string, c *credentials) bool {
	n := alg.size()
	if len(c.response) != 2*n {
		return false
	}
	var given [sha256.Size]byte
	var src [2 * sha256.Size]byte
	copy(src[:], c.response)
	if _, err := hex.Decode(given[:n], src[:2*n]); err != nil {
		return false
	}
	var want [sha256.Size]byte
	digestResponse(alg, ha1, method, c, &want)
	return subtle.ConstantTimeCompare(want[:n], given[:n]) == 1
}

// digestResponse computes the response digest (RFC 7616 section 3.4.1,
// qop=auth) into out:
//
//	response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" hex(H(method ":" uri)))
func digestResponse(alg algorithm, ha1, method string, c *credentials, out *[sha256.Size]byte) {
	n := alg.size()
	var buf [512]byte
	b := append(buf[:0], method...)
	b = append(b, ':')
	b = append(b, c.uri...)
	alg.sum(b, out)
	var ha2 [2 * sha256.Size]byte
	hex.Encode(ha2[:], out[:n])

	b = append(buf[:0], ha1...)
	b = append(b, ':')
	b = append(b, c.nonce...)
	b = append(b, ':')
	b = append(b, c.nc...)
	b = append(b, ':')
	b = append(b, c.cnonce...)
	b = append(b, ':')
	b = append(b, c.qop...)
	b = append(b, ':')
	b = append(b, ha2[:2*n]...)
	alg.sum(b, out)
}

// challenge renders a WWW-Authenticate value offering alg with qop=auth.
func challenge(realm, nonce string, alg algorithm, stale bool) string {
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
