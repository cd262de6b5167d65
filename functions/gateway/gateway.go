// Package gateway is the HTTP API's routing table: which function serves
// which paths. infra/aws turns it into API Gateway routes (one Lambda per
// function) and infra/local mounts the same handlers on one mux, so both
// shapes route a request to the same handler code. It holds no handler code
// itself.
package gateway

// Function is one HTTP function and the path prefixes it owns. A prefix
// "/v1/users" owns "/v1/users" and everything below "/v1/users/".
type Function struct {
	Name     string
	Prefixes []string
}

// HTTP lists the HTTP functions in a fixed order.
var HTTP = []Function{
	{Name: "accounts", Prefixes: []string{"/v1/accounts", "/v1/account", "/v1/sessions", "/v1/tokens", "/v1/audit", "/v1/webhooks", "/v1/openapi.json"}},
	{Name: "users", Prefixes: []string{"/v1/users", "/v1/devices", "/v1/contacts", "/v1/history", "/v1/history.csv"}},
	{Name: "groups", Prefixes: []string{"/v1/groups"}},
	{Name: "numbers", Prefixes: []string{"/v1/numbers", "/v1/extensions"}},
	{Name: "billing", Prefixes: []string{"/v1/billing", "/v1/invoices", "/v1/plans"}},
	{Name: "vouchers", Prefixes: []string{"/v1/vouchers"}},
	{Name: "verification", Prefixes: []string{"/v1/locations", "/v1/verifications"}},
}

// Event lists the event-driven functions: streamsync (table changes to the
// fleet), webhooks (call events to subscribers), exports (billing exports).
var Event = []string{"streamsync", "webhooks", "exports"}

// Names lists every function, HTTP first.
func Names() []string {
	out := make([]string, 0, len(HTTP)+len(Event))
	for _, f := range HTTP {
		out = append(out, f.Name)
	}
	return append(out, Event...)
}

// Find returns the HTTP function called name.
func Find(name string) (Function, bool) {
	for _, f := range HTTP {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}
