package embedded

import (
	"bytes"
	"reflect"
	"sort"
	"testing"
)

func TestKeyOrder(t *testing.T) {
	// Component-wise string order must equal byte order of encoded keys.
	pairs := [][2]string{
		{"a", "b"}, {"a", ""}, {"a\x00", "b"}, {"ab", ""}, {"a", "\xff"},
		{"", "z"}, {"a\x00b", ""}, {"a\x01", ""}, {"b", ""},
	}
	sorted := append([][2]string(nil), pairs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i][0] != sorted[j][0] {
			return sorted[i][0] < sorted[j][0]
		}
		return sorted[i][1] < sorted[j][1]
	})
	enc := make([][]byte, len(pairs))
	for i, p := range pairs {
		enc[i] = encodeKey(p[0], p[1])
	}
	sort.Slice(enc, func(i, j int) bool { return bytes.Compare(enc[i], enc[j]) < 0 })
	for i, k := range enc {
		got, err := decodeKey(k, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual([2]string{got[0], got[1]}, sorted[i]) {
			t.Fatalf("position %d: %q, want %q", i, got, sorted[i])
		}
	}
}

func TestDecodeKeyRejects(t *testing.T) {
	for _, k := range [][]byte{{0}, {'a', 0, 1}, {'a'}, encodeKey("a")} {
		if _, err := decodeKey(k, 2); err == nil {
			t.Fatalf("decodeKey(%q) accepted", k)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{[]byte("ab"), []byte("ac")},
		{[]byte{'a', 0xFF}, []byte("b")},
		{[]byte{0xFF, 0xFF}, nil},
	}
	for _, tc := range tests {
		if got := prefixEnd(tc.in); !bytes.Equal(got, tc.want) {
			t.Fatalf("prefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
