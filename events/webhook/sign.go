package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Headers of every request beyond the compatible format.
const (
	HeaderTimestamp = "X-Switchboard-Timestamp" // Unix seconds
	HeaderSignature = "X-Switchboard-Signature" // hex HMAC-SHA256 of timestamp + "." + body
	HeaderEventID   = "X-Switchboard-Event-Id"  // the same on every attempt: consumers deduplicate by it
)

// Sign returns the signature of body sent at timestamp (Unix seconds):
// the hex HMAC-SHA256, keyed with the account's signing secret as shown,
// of the timestamp, a dot and the raw body.
func Sign(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Errors of Verify.
var (
	ErrSignature = errors.New("webhook: signature does not match")
	ErrStale     = errors.New("webhook: timestamp outside the tolerance")
)

// Verify checks the two headers of a request as a consumer does: the
// signature must match and the timestamp be within tolerance of now, so a
// recorded request cannot be replayed later.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp %q", ErrSignature, timestamp)
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
