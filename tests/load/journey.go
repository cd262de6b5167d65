package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// The journey's calls, in order; the names head the printed table.
var steps = []string{"sign up", "log in", "create user", "read credentials", "create group", "route number", "read openapi"}

// journey is one newcomer's way through the API.
type journey struct {
	c  *apiclient.Client
	st *stats
	id string
}

// call sends one request and records its latency and outcome; ok is true
// for a 2xx answer.
func (j *journey) call(ctx context.Context, step, method, path string, body any, cred string) (*apiclient.Response, bool) {
	start := time.Now()
	r, err := j.c.Do(ctx, method, path, body, cred)
	took := time.Since(start)
	switch {
	case err != nil:
		j.st.record(step, took, outcomeError, err.Error())
		return nil, false
	case r.OK():
		j.st.record(step, took, outcomeOK, "")
		return r, true
	case r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed || r.Status == http.StatusNotImplemented:
		j.st.record(step, took, outcomeMissing, fmt.Sprintf("%d", r.Status))
	default:
		j.st.record(step, took, outcomeError, fmt.Sprintf("%d %s", r.Status, apiclient.Short(r.Raw)))
	}
	return r, false
}

// run plays the journey; a failed step ends it (the later steps need what
// it would have made), except the document read, which needs nothing.
func (j *journey) run(ctx context.Context) {
	defer j.call(ctx, "read openapi", "GET", "/v1/openapi.json", nil, "")
	email := fmt.Sprintf("load-%s@example.com", j.id)
	r, ok := j.call(ctx, "sign up", "POST", "/v1/accounts", map[string]any{
		"company": "Load " + j.id, "name": "Load Admin", "email": email, "password": apiclient.Password}, "")
	if !ok {
		return
	}
	var signup struct {
		Numbers []struct {
			Number string `json:"number"`
		} `json:"numbers"`
	}
	if r.Decode(&signup) != nil || len(signup.Numbers) < 2 {
		j.st.note("sign up", "answer without two test numbers")
		return
	}
	r, ok = j.call(ctx, "log in", "POST", "/v1/sessions", map[string]any{"email": email, "password": apiclient.Password}, "")
	if !ok {
		return
	}
	token := apiclient.Str(r.JSON, "token")

	r, ok = j.call(ctx, "create user", "POST", "/v1/users", map[string]any{
		"name": "Load User", "email": "user-" + email, "extension": "21", "number": signup.Numbers[0].Number,
		"devices": []any{map[string]any{"kind": "phone", "name": "Desk"}, map[string]any{"kind": "external", "number": "+4915112345678"}},
	}, token)
	if !ok {
		return
	}
	var created struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Devices []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"devices"`
	}
	_ = r.Decode(&created)
	phone := ""
	for _, d := range created.Devices {
		if d.Kind == "phone" {
			phone = d.ID
		}
	}
	if created.User.ID == "" || phone == "" {
		j.st.note("create user", "answer without the user's id or phone")
		return
	}
	if _, ok := j.call(ctx, "read credentials", "GET", "/v1/devices/"+url.PathEscape(phone)+"/credentials", nil, token); !ok {
		return
	}
	r, ok = j.call(ctx, "create group", "POST", "/v1/groups", map[string]any{
		"name": "Sales", "extension": "31", "members": []any{created.User.ID, "w0"}}, token)
	if !ok {
		return
	}
	group := apiclient.Str(r.JSON, "id")
	j.call(ctx, "route number", "PATCH", "/v1/numbers/"+url.PathEscape(signup.Numbers[1].Number),
		map[string]any{"route": map[string]any{"kind": "group", "target": group}}, token)
}
