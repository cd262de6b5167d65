package account

import (
	"strings"
	"testing"
)

func TestWelcomeMail(t *testing.T) {
	e := newUsersEnv(t, "")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example", Language: "en", Devices: []DeviceInput{{Kind: "phone"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Dora", Email: "dora@acme.example"}); err != nil {
		t.Fatal(err)
	}
	creds, err := e.svc.Credentials(e.ctx, e.admin, res.Devices[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	mails := e.mails()
	for _, tc := range []struct {
		to    string
		words []string
	}{
		{"bob@acme.example", []string{"Your Switchboard access for Acme GmbH", "Hello Bob", e.account, "bob@acme.example", "http://127.0.0.1:18081/#/setup?token=sbp_"}},
		{"dora@acme.example", []string{"Ihr Switchboard-Zugang für Acme GmbH", "Hallo Dora", e.account, "dora@acme.example", "http://127.0.0.1:18081/#/setup?token=sbp_"}},
	} {
		t.Run(tc.to, func(t *testing.T) {
			body, ok := mails[tc.to]
			if !ok {
				t.Fatalf("no e-mail to %s in %v", tc.to, mails)
			}
			for _, w := range tc.words {
				if !strings.Contains(body, w) {
					t.Errorf("e-mail lacks %q:\n%s", w, body)
				}
			}
			if strings.Contains(body, creds.Password) || strings.Contains(strings.ToLower(body), "password:") {
				t.Errorf("e-mail carries a password:\n%s", body)
			}
			// The link works once: it sets the password, and the user
			// then logs in with it.
			tok := setupToken(t, body)
			if _, err := e.svc.SetPassword(e.ctx, tok, "a new good password", "127.0.0.1"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Login(e.ctx, tc.to, "a new good password", "127.0.0.1"); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.SetPassword(e.ctx, tok, "another password!", "127.0.0.1")
			wantKind(t, err, Invalid, "token")
		})
	}
}
