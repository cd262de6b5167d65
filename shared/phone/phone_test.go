package phone

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, region, want string
	}{
		{"0211 1234567", "DE", "+492111234567"},
		{"+49 211 1234567", "DE", "+492111234567"},
		{"0049 211 1234567", "", "+492111234567"},
		{"(030) 12345678", "DE", "+493012345678"},
		{"0151 23456789", "DE", "+4915123456789"},
		{"01801 234567", "DE", "+491801234567"},
		{"+1 650 253 0000", "DE", "+16502530000"},
	}
	for _, tc := range tests {
		got, err := Normalize(tc.in, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "hello", "12", "+49", "0211", "+49 211 1234567 1234567 1234", "+49 abc 1234567"} {
		if got, err := Normalize(bad, "DE"); !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q) = %q, %v; want ErrInvalid", bad, got, err)
		}
	}
}

func TestEmergency(t *testing.T) {
	for s, want := range map[string]bool{"110": true, "112": true, " 112 ": true, "1120": false, "0112": false} {
		if Emergency(s) != want {
			t.Errorf("Emergency(%q) != %v", s, want)
		}
	}
}
