package account

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard/switchboard/shared/phone"
)

// Field limits.
const (
	maxName     = 100
	maxEmail    = 254
	minPassword = 10
	maxPassword = 200
)

// text checks a required or optional free-text field and returns it
// trimmed.
func text(field, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return "", invalid(field, "is required")
	case utf8.RuneCountInString(v) > max:
		return "", invalid(field, "is longer than %d characters", max)
	case strings.ContainsFunc(v, unicode.IsControl):
		return "", invalid(field, "contains control characters")
	}
	return v, nil
}

// email checks an e-mail address and returns it in lower case.
func email(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", invalid(field, "is required")
	}
	if len(v) > maxEmail {
		return "", invalid(field, "is longer than %d characters", maxEmail)
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
		return "", invalid(field, "is not an e-mail address")
	}
	return strings.ToLower(v), nil
}

// password checks a new password.
func password(field, v string) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n < minPassword:
		return invalid(field, "must have at least %d characters", minPassword)
	case n > maxPassword:
		return invalid(field, "is longer than %d characters", maxPassword)
	}
	return nil
}

// number normalizes a telephone number to E.164.
func (s *Service) number(field, v string) (string, error) {
	e164, err := phone.Normalize(v, s.cfg.Region)
	if err != nil {
		return "", invalid(field, "is not a valid telephone number")
	}
	return e164, nil
}

// extension checks an extension against the account's length limits.
func extension(field, v string, min, max int) error {
	if len(v) < min || len(v) > max {
		return invalid(field, "must have %d to %d digits", min, max)
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return invalid(field, "must be digits only")
		}
	}
	if v[0] == '0' {
		return invalid(field, "must not start with 0 (that dials out)")
	}
	if phoneEmergency(v) {
		return invalid(field, "is an emergency number")
	}
	return nil
}

func phoneEmergency(v string) bool { return phone.Emergency(v) }
