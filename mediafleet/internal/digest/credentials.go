package digest

import (
	"errors"
	"strings"
)

// Credentials are the parameters of a Digest Authorization header (RFC
// 3261 section 22.4, RFC 7616 section 3.4). The strings point into the
// header value; nothing is copied unless a quoted value has escapes.
type Credentials struct {
	Username, Realm, Nonce, URI, Response string
	Algorithm, Cnonce, QOP, NC, Opaque    string
	Userhash                              string
}

// Errors of ParseCredentials.
var (
	ErrNotDigest = errors.New("not a Digest authorization")
	ErrMalformed = errors.New("malformed Digest authorization")
	ErrDuplicate = errors.New("repeated Digest parameter")
	ErrTooLong   = errors.New("Digest authorization too long")
)

// maxHeaderValue bounds the Authorization value parsed.
const maxHeaderValue = 4096

// ParseCredentials parses the value of an Authorization header. It
// accepts what RFC 7616 section 3.4 allows: the scheme, then
// comma-separated name=value pairs with optional white space, values as
// tokens or quoted strings. Unknown parameters are ignored; a parameter
// given twice is an error.
func ParseCredentials(v string) (Credentials, error) {
	var c Credentials
	if len(v) > maxHeaderValue {
		return c, ErrTooLong
	}
	v = trimLWS(v)
	if len(v) < 7 || !strings.EqualFold(v[:6], "Digest") || !isLWS(v[6]) {
		return c, ErrNotDigest
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
			dst = &c.Username
		case "realm":
			dst = &c.Realm
		case "nonce":
			dst = &c.Nonce
		case "uri":
			dst = &c.URI
		case "response":
			dst = &c.Response
		case "algorithm":
			dst = &c.Algorithm
		case "cnonce":
			dst = &c.Cnonce
		case "qop":
			dst = &c.QOP
		case "nc":
			dst = &c.NC
		case "opaque":
			dst = &c.Opaque
		case "userhash":
			dst = &c.Userhash
		default:
			continue
		}
		if *dst != "" {
			return c, ErrDuplicate
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
		return "", "", "", ErrMalformed
	}
	name, s = s[:i], trimLWS(s[i:])
	if s == "" || s[0] != '=' {
		return "", "", "", ErrMalformed
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
			return "", "", "", ErrMalformed
		}
		value, s = s[:i], s[i:]
	}
	s = trimLWS(s)
	switch {
	case s == "":
	case s[0] == ',':
		s = trimLWS(s[1:])
		if s == "" {
			return "", "", "", ErrMalformed // a trailing comma
		}
	default:
		return "", "", "", ErrMalformed
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
			return "", "", ErrMalformed
		}
	}
	return "", "", ErrMalformed
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
