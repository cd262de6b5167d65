package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/shared/account"
)

// KindOf is account.KindOf.
var KindOf = account.KindOf

// statusOf maps domain error kinds to HTTP status codes; this is the one
// place that does.
var statusOf = map[account.Kind]int{
	account.Invalid:      http.StatusUnprocessableEntity,
	account.NotFound:     http.StatusNotFound,
	account.Conflict:     http.StatusConflict,
	account.Forbidden:    http.StatusForbidden,
	account.Unauthorized: http.StatusUnauthorized,
	account.Limited:      http.StatusTooManyRequests,
	account.PlanLimit:    http.StatusConflict,
}

// Err turns a domain error into an RFC 9457 problem whose details name the
// offending fields (location "body.<field>"). Any other error is logged and
// answered as a bare 500: its text may name tables, keys or addresses that
// are no business of the caller.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if KindOf(err) == 0 {
		if errors.Is(err, context.Canceled) {
			return huma.NewError(499, "request canceled")
		}
		slog.Error("request failed", "err", err)
		return huma.NewError(http.StatusInternalServerError, "internal error")
	}
	var list account.Errors
	if errors.As(err, &list) && len(list) > 0 {
		return problem(list[0].Kind, list)
	}
	var e *account.Error
	if errors.As(err, &e) {
		return problem(e.Kind, account.Errors{e})
	}
	return err
}

func problem(kind account.Kind, list account.Errors) error {
	details := make([]error, 0, len(list))
	detail := list[0].Message
	for _, e := range list {
		d := &huma.ErrorDetail{Message: e.Message}
		if e.Field != "" {
			d.Location = location(e.Field)
			if len(list) == 1 {
				detail = e.Field + " " + e.Message
			}
		}
		details = append(details, d)
	}
	if len(list) > 1 {
		detail = "several fields are wrong"
	}
	status, ok := statusOf[kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	return huma.NewError(status, detail, details...)
}

// queryFields are the domain fields that arrive as query parameters of
// every list operation; every other field is part of the request body,
// unless the handler already placed it with a "query." prefix (filters
// whose names also occur in bodies, such as number or user).
var queryFields = map[string]bool{"cursor": true, "limit": true}

func location(field string) string {
	if strings.HasPrefix(field, "query.") {
		return field
	}
	if queryFields[field] {
		return "query." + field
	}
	return "body." + field
}
