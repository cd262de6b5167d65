package embedded

import (
	"bytes"
	"errors"
)

// Keys in bbolt are concatenations of order-preserving encodings of string
// components: each component has its 0x00 bytes escaped as 0x00 0xFF and
// ends with 0x00 0x00. Byte order of encoded keys then equals the
// component-wise byte order of the strings, which is DynamoDB's order for
// string keys, and a partition's keys share the partition's encoding as a
// prefix.

var errKey = errors.New("embedded: malformed key")

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, s[i])
		}
	}
	return dst
}

func appendComponent(dst []byte, s string) []byte {
	return append(appendEscaped(dst, s), 0, 0)
}

// encodeKey encodes components into one key.
func encodeKey(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 2
	}
	dst := make([]byte, 0, n)
	for _, p := range parts {
		dst = appendComponent(dst, p)
	}
	return dst
}

// decodeKey splits a key into its components.
func decodeKey(key []byte, want int) ([]string, error) {
	out := make([]string, 0, want)
	var cur []byte
	for i := 0; i < len(key); i++ {
		if key[i] != 0 {
			cur = append(cur, key[i])
			continue
		}
		if i+1 >= len(key) {
			return nil, errKey
		}
		i++
		switch key[i] {
		case 0xFF:
			cur = append(cur, 0)
		case 0:
			out = append(out, string(cur))
			cur = cur[:0]
		default:
			return nil, errKey
		}
	}
	if len(cur) != 0 || len(out) != want {
		return nil, errKey
	}
	return out, nil
}

// prefixEnd returns the smallest key greater than every key that starts
// with prefix, or nil when there is none.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
