package calls

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// INVITE authentication follows the registrar's (package registrar):
// Digest with MD5 and SHA-256 (RFC 8760) and qop=auth against the
// directory's HA1 digests, stateless nonces stamped with their time and an
// HMAC, unknown devices answered like wrong passwords, and failures
// counted per source address and per device. The challenge is a 407 with
// Proxy-Authenticate (RFC 3261 section 22.3), which is how phones expect
// a server that routes their calls to ask.

// Digest algorithms.
const (
	algMD5    = "MD5"
	algSHA256 = "SHA-256"
)

// dummyHA1 is verified against for unknown devices, so the work and the
// answer are the same as for a wrong password.
var dummyHA1 = map[string]string{algMD5: strings.Repeat("0", 32), algSHA256: strings.Repeat("0", 64)}

// algorithmOf maps the algorithm parameter to one we verify, or "".
func algorithmOf(s string) string {
	switch {
	case s == "" || strings.EqualFold(s, algMD5):
		return algMD5 // RFC 3261: no algorithm parameter means MD5
	case strings.EqualFold(s, algSHA256):
		return algSHA256
	}
	return ""
}

func newHash(alg string) hash.Hash {
	if alg == algSHA256 {
		return sha256.New()
	}
	return md5.New()
}

func hexHash(alg string, parts ...string) string {
	h := newHash(alg)
	h.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(h.Sum(nil))
}

// checkDigest verifies the response of credentials c for method against
// ha1 (hex), in constant time (RFC 7616 section 3.4.1, qop=auth).
func checkDigest(alg, ha1, method string, c *digest.Credentials) bool {
	ha2 := hexHash(alg, method, c.URI)
	want := hexHash(alg, ha1, c.Nonce, fmt.Sprintf("%08x", c.Nc), c.Cnonce, c.QOP, ha2)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) == 1
}

// challengeValue renders a Proxy-Authenticate value offering alg.
func challengeValue(realm, nonce, alg string, stale bool) string {
	v := `Digest realm="` + realm + `", nonce="` + nonce + `", algorithm=` + alg + `, qop="auth"`
	if stale {
		v += ", stale=true"
	}
	return v
}

// Nonces: base64url(time(8) || random(12) || HMAC-SHA256(secret, time || random)[:16]),
// the registrar's format (see its nonce.go for why replays within the
// lifetime are accepted).
const (
	nonceTimeLen = 8
	nonceRandLen = 12
	nonceMACLen  = 16
	nonceRawLen  = nonceTimeLen + nonceRandLen + nonceMACLen
	// maxClockSkew is how far in the future a nonce's time may lie.
	maxClockSkew = 30 * time.Second
)

type nonceState uint8

const (
	nonceInvalid nonceState = iota
	nonceValid
	nonceStale
)

type nonces struct {
	key      []byte
	lifetime time.Duration
}

func (n nonces) mac(raw []byte) []byte {
	m := hmac.New(sha256.New, n.key)
	m.Write(raw[:nonceTimeLen+nonceRandLen])
	return m.Sum(nil)[:nonceMACLen]
}

func (n nonces) mint(now time.Time) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:nonceTimeLen], uint64(now.Unix()))
	_, _ = rand.Read(raw[nonceTimeLen : nonceTimeLen+nonceRandLen])
	copy(raw[nonceTimeLen+nonceRandLen:], n.mac(raw[:]))
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

func (n nonces) check(s string, now time.Time) nonceState {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) != nonceRawLen || !hmac.Equal(n.mac(raw), raw[nonceTimeLen+nonceRandLen:]) {
		return nonceInvalid
	}
	age := now.Unix() - int64(binary.BigEndian.Uint64(raw[:nonceTimeLen]))
	switch {
	case age < -int64(maxClockSkew/time.Second):
		return nonceInvalid
	case age > int64(n.lifetime/time.Second):
		return nonceStale
	}
	return nonceValid
}

// limiter counts failed authentications per key in a fixed window and
// blocks a key that reaches the limit, like the registrar's. It keeps at
// most maxTracked keys; beyond that, new keys go uncounted.
type limiter struct {
	limit  int
	window time.Duration
	block  time.Duration

	mu   sync.Mutex
	keys map[string]*failures
}

const maxTracked = 100_000

type failures struct {
	start time.Time
	count int
	until time.Time
}

func newLimiter(limit int, window, block time.Duration) *limiter {
	return &limiter{limit: limit, window: window, block: block, keys: map[string]*failures{}}
}

func (l *limiter) blocked(k string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[k]
	return ok && now.Before(f.until)
}

// fail counts a failure and reports whether it blocked the key.
func (l *limiter) fail(k string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[k]
	if !ok {
		if len(l.keys) >= maxTracked {
			l.pruneLocked(now)
			if len(l.keys) >= maxTracked {
				return false
			}
		}
		f = &failures{start: now}
		l.keys[k] = f
	}
	if now.Before(f.until) {
		return false
	}
	if now.Sub(f.start) >= l.window {
		f.start, f.count = now, 0
	}
	f.count++
	if f.count >= l.limit {
		f.until = now.Add(l.block)
		f.start, f.count = f.until, 0
		return true
	}
	return false
}

func (l *limiter) reset(k string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.keys[k]; ok && !now.Before(f.until) {
		delete(l.keys, k)
	}
}

func (l *limiter) pruneLocked(now time.Time) {
	for k, f := range l.keys {
		if !now.Before(f.until) && now.Sub(f.start) >= l.window {
			delete(l.keys, k)
		}
	}
}
