package change

import "testing"

func TestCompareSequence(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"000000000000000000012", "12", 0},
		{"9", "10", -1},
		{"49039500000000000000000000123", "4903950000000000000000000012", 1},
		{"000000000000000000100", "000000000000000000099", 1},
		{"7", "000000000000000000008", -1},
	} {
		if got := CompareSequence(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareSequence(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
