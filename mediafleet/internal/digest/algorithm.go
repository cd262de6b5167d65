package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"strings"
)

// Algorithm is a digest algorithm of RFC 8760 the server accepts.
type Algorithm uint8

// Algorithms.
const (
	Unknown Algorithm = iota
	MD5
	SHA256
)

// ParseAlgorithm maps the algorithm parameter of credentials to an
// Algorithm; anything but MD5 and SHA-256 is Unknown.
func ParseAlgorithm(s string) Algorithm {
	switch {
	case s == "" || strings.EqualFold(s, "MD5"):
		return MD5 // RFC 3261: no algorithm parameter means MD5
	case strings.EqualFold(s, "SHA-256"):
		return SHA256
	}
	return Unknown
}

func (a Algorithm) String() string {
	switch a {
	case MD5:
		return "MD5"
	case SHA256:
		return "SHA-256"
	}
	return "unknown"
}

// Placeholders verified against when a device is unknown or cannot use
// the algorithm: the work is the same as for a real device, so neither
// the answer nor its timing tells an attacker which device ids exist.
var (
	placeholderMD5    = strings.Repeat("0", 2*md5.Size)
	placeholderSHA256 = strings.Repeat("0", 2*sha256.Size)
)

// PlaceholderHA1 is an HA1 of the algorithm's length that matches no
// password, to verify against when there is no real one.
func (a Algorithm) PlaceholderHA1() string {
	if a == SHA256 {
		return placeholderSHA256
	}
	return placeholderMD5
}

// size is the length of the algorithm's digest in bytes.
func (a Algorithm) size() int {
	if a == SHA256 {
		return sha256.Size
	}
	return md5.Size
}

// sum hashes b into out (the first size bytes).
func (a Algorithm) sum(b []byte, out *[sha256.Size]byte) {
	if a == SHA256 {
		*out = sha256.Sum256(b)
		return
	}
	s := md5.Sum(b)
	copy(out[:], s[:])
}

// Algorithms parses the names of the algorithms a challenge offers, in
// order ("MD5", "SHA-256", any case); none is both, MD5 first.
func Algorithms(names []string) ([]Algorithm, error) {
	if len(names) == 0 {
		return []Algorithm{MD5, SHA256}, nil
	}
	out := make([]Algorithm, len(names))
	for i, n := range names {
		if out[i] = ParseAlgorithm(n); n == "" || out[i] == Unknown {
			return nil, fmt.Errorf("challenge algorithm %q: want MD5 or SHA-256", n)
		}
	}
	return out, nil
}
