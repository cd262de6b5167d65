// Package phone parses and normalizes telephone numbers with a port of
// Google's libphonenumber (github.com/nyaruka/phonenumbers), never by hand:
// national forms ("0211 1234567") in the account's country, international
// forms ("+49 211 1234567", "0049…"), all to E.164 ("+492111234567").
//
// It does not decide routing; it only says what number a string means.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the country national numbers are read in.
const DefaultRegion = "DE"

// ErrInvalid says a string is not a valid telephone number.
var ErrInvalid = errors.New("not a valid telephone number")

// Normalize returns the E.164 form of s, read in region when it has no
// country code. Numbers that libphonenumber knows to be impossible or
// invalid for their country are refused.
func Normalize(s, region string) (string, error) {
	if region == "" {
		region = DefaultRegion
	}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return "", ErrInvalid
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Digits returns an E.164 number without its plus sign, the form webhooks
// and trunks use ("492111234567").
func Digits(e164 string) string { return strings.TrimPrefix(e164, "+") }

// Emergency numbers are always put through, never blocked by any rule.
func Emergency(dialled string) bool {
	d := strings.TrimSpace(dialled)
	return d == "110" || d == "112"
}
