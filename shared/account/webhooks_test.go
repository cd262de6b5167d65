package account

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestWebhookURLPolicy checks URLs against the strict policy with DNS the
// test controls: a name is judged by every address it resolves to.
func TestWebhookURLPolicy(t *testing.T) {
	dns := map[string][]string{
		"crm.example":     {"93.184.216.34"},
		"mixed.example":   {"93.184.216.34", "10.0.0.7"},
		"intranet.corp":   {"192.168.10.5"},
		"metadata.lookup": {"169.254.169.254"},
		"v6.example":      {"2a00:1450:4001:82a::200e"},
		"v6-local.lookup": {"fd12:3456::1"},
	}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		as, ok := dns[host]
		if !ok {
			return nil, errors.New("no such host")
		}
		var out []netip.Addr
		for _, a := range as {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
	strict := URLPolicy{RequireHTTPS: true, BlockPrivate: true, Lookup: lookup}
	cases := []struct {
		url  string
		pol  URLPolicy
		want string // part of the message; "" when accepted
	}{
		{"https://crm.example/hook?token=x", strict, ""},
		{"https://v6.example/hook", strict, ""},
		{"http://crm.example/hook", strict, "https"},
		{"https://mixed.example/hook", strict, "private"},
		{"https://intranet.corp/hook", strict, "private"},
		{"https://metadata.lookup/latest", strict, "private"},
		{"https://v6-local.lookup/hook", strict, "private"},
		{"https://nowhere.example/hook", strict, "does not resolve"},
		{"https://10.0.0.1/hook", strict, "private"},
		{"http://127.0.0.1:8080/hook", URLPolicy{}, ""},
		{"http://intranet.corp/hook", URLPolicy{}, ""},
		{"gopher://crm.example/", URLPolicy{}, "http or https"},
		{"crm.example/hook", URLPolicy{}, "absolute"},
		{"https://user:pw@crm.example/", URLPolicy{}, "user name"},
		{"https://crm.example/" + strings.Repeat("x", maxURL), URLPolicy{}, "longer"},
	}
	for _, tc := range cases {
		t.Run(tc.url[:min(len(tc.url), 50)], func(t *testing.T) {
			_, err := checkURL(context.Background(), "incoming.url", tc.url, tc.pol)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a refusal about %q", err, tc.want)
			case err != nil && KindOf(err) != Invalid:
				t.Fatalf("%v is not an input error", err)
			}
		})
	}
}

// TestWebhookSecret: the secret is sealed bound to the account, opens for
// delivery, does not open as another account's, and rotation replaces it.
func TestWebhookSecret(t *testing.T) {
	e := newUsersEnv(t, "")
	info, err := e.svc.SetWebhooks(e.ctx, e.admin, WebhookSettings{Incoming: &Hook{URL: "http://127.0.0.1:9/in"}}, URLPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.SigningSecret, SecretPrefix) || !info.Secret.Set {
		t.Fatalf("first settings: %+v", info)
	}
	v, err := LoadWebhooks(e.ctx, e.db, e.svc.Sealer(), e.account)
	if err != nil || string(v.Secret) != info.SigningSecret || v.Incoming.Format != FormatForm {
		t.Fatalf("view %+v, %v", v, err)
	}
	stored, err := e.svc.loadWebhooks(e.ctx, e.account)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored.Secret), info.SigningSecret) {
		t.Fatal("the secret is stored in the clear")
	}
	if _, err := e.svc.seal.Open(e.ctx, stored.Secret, []byte("7654321")); err == nil {
		t.Fatal("the sealed secret opens for another account id")
	}
	rotated, err := e.svc.RotateWebhookSecret(e.ctx, e.admin)
	if err != nil || rotated.SigningSecret == "" || rotated.SigningSecret == info.SigningSecret || rotated.Incoming == nil {
		t.Fatalf("rotated %+v, %v", rotated, err)
	}
	if v, _ = LoadWebhooks(e.ctx, e.db, e.svc.Sealer(), e.account); string(v.Secret) != rotated.SigningSecret {
		t.Fatal("delivery does not sign with the rotated secret")
	}
	// A view of an account without settings is empty, not an error.
	if v, err := LoadWebhooks(e.ctx, e.db, e.svc.Sealer(), "0000000"); err != nil || v.Incoming != nil || v.Secret != nil {
		t.Fatalf("no settings: %+v, %v", v, err)
	}
	audit, _, err := e.svc.Audit(e.ctx, e.admin, "", 10)
	if err != nil || len(audit) < 2 || audit[0].Action != "webhooks.secret.rotate" || audit[1].Action != "webhooks.update" {
		t.Fatalf("audit %+v, %v", audit, err)
	}
	if strings.Contains(audit[1].Summary, "127.0.0.1") {
		t.Fatalf("the audit trail names a URL: %q", audit[1].Summary)
	}
}

// TestWebhookDirectory: names, group members and device owners, as the
// user fields of events need them.
func TestWebhookDirectory(t *testing.T) {
	e := newUsersEnv(t, "")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example",
		Devices: []DeviceInput{{Kind: "phone"}, {Kind: "external", Number: "+49 171 2345678"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateGroup(e.ctx, e.admin, GroupInput{Name: "Sales", Members: []string{"w0", "w1"}}); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDirectory(e.ctx, e.db, e.account)
	if err != nil {
		t.Fatal(err)
	}
	if d.Users["w1"] != "Bob" || d.Users["w0"] != "Ada Admin" || len(d.Groups["g0"]) != 2 {
		t.Fatalf("directory %+v", d)
	}
	if d.Devices[res.Devices[0].ID] != "w1" || d.Devices["+491712345678"] != "w1" {
		t.Fatalf("device owners %v", d.Devices)
	}
}
