package account

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error; the HTTP layer maps each kind to one
// status code in one place.
type Kind int

// Kinds of domain errors.
const (
	Invalid      Kind = iota + 1 // the input is wrong (422)
	NotFound                     // no such thing in the caller's account (404)
	Conflict                     // taken or changed meanwhile: an e-mail, an extension, a number (409)
	Forbidden                    // the caller may not do this (403)
	Unauthorized                 // no valid credentials (401)
	Limited                      // too many attempts (429)
	PlanLimit                    // the plan allows no more (409)
)

// Error is a domain error. Field names the input it is about, as a JSON
// path below the request body ("email", "devices[1].number"), when there
// is one.
type Error struct {
	Kind    Kind
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

func invalid(field, format string, args ...any) error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func conflict(field, format string, args ...any) error {
	return &Error{Kind: Conflict, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(what string) error { return &Error{Kind: NotFound, Message: what + " not found"} }

func forbidden(format string, args ...any) error {
	return &Error{Kind: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// ErrUnauthorized is returned for missing, wrong, expired or revoked
// credentials, without saying which.
var ErrUnauthorized = &Error{Kind: Unauthorized, Message: "invalid credentials"}

// KindOf returns the kind of a domain error, or 0 for other errors.
func KindOf(err error) Kind {
	var list Errors
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Kind
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Errors collects the field errors of one request, so a client learns of
// every wrong field at once.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return fmt.Sprint(msgs)
}

// add records err when it is not nil.
func (es *Errors) add(err error) {
	var e *Error
	if errors.As(err, &e) {
		*es = append(*es, e)
	}
}

// err returns the collected errors, or nil.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	if len(es) == 1 {
		return es[0]
	}
	return es
}
