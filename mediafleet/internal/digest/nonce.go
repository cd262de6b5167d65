package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"sync"
	"time"
)

// Nonces are stateless: a nonce carries the time it was made, a random
// part and an HMAC over both, keyed with a secret every fleet node shares,
// so any node verifies a nonce another node issued without asking it:
//
//	nonce = base64url(timestamp(8) || random(12) || HMAC-SHA256(secret, timestamp || random)[:16])
//
// The HMAC is cut to 128 bits (RFC 2104 section 5 allows truncation to no
// less than half the output); forging one is still out of reach, and the
// nonce stays short enough for phones with small header buffers.
//
// Without per-nonce state the server cannot tell a replayed nonce or nc
// from a fresh one: an Authorization header captured on the wire can be
// replayed until its nonce expires (the nonce lifetime, 5 minutes by
// default). A replay gains nothing the original request did not already
// do (it re-registers the same contact for the same device, or offers the
// same call again, and the response binds method and URI), which is why the nc and cnonce are taken
// into the response digest but not tracked. Requests that must not be
// replayable need TLS.
const (
	nonceTimeLen = 8
	nonceRandLen = 12
	nonceMACLen  = 16
	nonceRawLen  = nonceTimeLen + nonceRandLen + nonceMACLen
)

var nonceEncoding = base64.RawURLEncoding

// nonceLen is the length of an encoded nonce.
var nonceLen = nonceEncoding.EncodedLen(nonceRawLen)

// NonceState is the verdict on a nonce.
type NonceState uint8

// Verdicts of Nonces.Check.
const (
	NonceInvalid NonceState = iota // not ours, or tampered with
	NonceValid
	NonceStale // ours, but older than the lifetime
)

// MaxClockSkew is how far in the future a nonce's time may lie: nodes'
// clocks differ a little.
const MaxClockSkew = 30 * time.Second

// Nonces mints and verifies nonces with one secret. It is safe for
// concurrent use.
type Nonces struct {
	lifetime time.Duration
	macs     sync.Pool // of *nonceMAC
}

// nonceMAC is one HMAC with scratch space, pooled so that verifying a
// nonce allocates nothing.
type nonceMAC struct {
	h   hash.Hash
	sum [sha256.Size]byte
	raw [nonceRawLen]byte
	enc [64]byte
}

// NewNonces returns Nonces keyed with secret (copied) that turn stale
// after lifetime.
func NewNonces(secret []byte, lifetime time.Duration) *Nonces {
	key := append([]byte(nil), secret...)
	n := &Nonces{lifetime: lifetime}
	n.macs.New = func() any { return &nonceMAC{h: hmac.New(sha256.New, key)} }
	return n
}

// mac computes the truncated HMAC of raw's time and random part into
// m.sum and returns it.
func (m *nonceMAC) mac() []byte {
	m.h.Reset()
	m.h.Write(m.raw[:nonceTimeLen+nonceRandLen])
	return m.h.Sum(m.sum[:0])[:nonceMACLen]
}

// Mint makes a nonce stamped with now.
func (n *Nonces) Mint(now time.Time) string {
	m := n.macs.Get().(*nonceMAC)
	defer n.macs.Put(m)
	binary.BigEndian.PutUint64(m.raw[:nonceTimeLen], uint64(now.Unix()))
	// crypto/rand.Read never fails (it panics on a broken system).
	_, _ = rand.Read(m.raw[nonceTimeLen : nonceTimeLen+nonceRandLen])
	copy(m.raw[nonceTimeLen+nonceRandLen:], m.mac())
	return nonceEncoding.EncodeToString(m.raw[:])
}

// Check verifies a nonce at now. It allocates nothing.
func (n *Nonces) Check(s string, now time.Time) NonceState {
	if len(s) != nonceLen {
		return NonceInvalid
	}
	m := n.macs.Get().(*nonceMAC)
	defer n.macs.Put(m)
	copy(m.enc[:], s)
	if k, err := nonceEncoding.Decode(m.raw[:], m.enc[:len(s)]); err != nil || k != nonceRawLen {
		return NonceInvalid
	}
	var given [nonceMACLen]byte
	copy(given[:], m.raw[nonceTimeLen+nonceRandLen:])
	if !hmac.Equal(m.mac(), given[:]) {
		return NonceInvalid
	}
	stamp := int64(binary.BigEndian.Uint64(m.raw[:nonceTimeLen]))
	age := now.Unix() - stamp
	switch {
	case age < -int64(MaxClockSkew/time.Second):
		return NonceInvalid
	case age > int64(n.lifetime/time.Second):
		return NonceStale
	}
	return NonceValid
}
