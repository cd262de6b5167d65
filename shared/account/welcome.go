package account

import (
	"context"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strings"

	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/model"
)

// sendWelcome sends a new user the access data (A3): the account, the
// login e-mail and a link to set a password. The e-mail never carries a
// password. A failure to send is logged, not returned: the user was
// created either way, and failing the request would invite a second,
// conflicting attempt.
func (s *Service) sendWelcome(ctx context.Context, a model.Account, u model.User, setupToken string) {
	if err := s.outbox.Send(ctx, welcomeMessage(s.cfg, a, u, setupToken)); err != nil {
		s.log.Warn("welcome e-mail not sent", "account", a.ID, "user", u.ID, "err", err)
	}
}

// setupLink is the console's page for setting a password with a one-time
// token.
func setupLink(consoleURL, token string) string {
	return strings.TrimRight(consoleURL, "/") + "/#/setup?token=" + url.QueryEscape(token)
}

// welcomeMessage writes the welcome e-mail in the user's language (German
// unless the user chose English).
func welcomeMessage(cfg Config, a model.Account, u model.User, setupToken string) mail.Message {
	link := setupLink(cfg.ConsoleURL, setupToken)
	days := int(SetupTTL.Hours() / 24)
	to := (&netmail.Address{Name: u.Name, Address: u.Email}).String()
	if u.Language == "en" {
		return mail.Message{From: cfg.MailFrom, To: to,
			Subject: fmt.Sprintf("Your Switchboard access for %s", a.Company),
			Body: fmt.Sprintf(`Hello %s,

an administrator of %s has set up your access to the company's telephone system.

Account:        %s (%s)
Your login:     %s

Set your password with this link (valid for %d days, usable once):
%s

Afterwards you log in at %s with your e-mail address and that password.
Your phones' SIP settings are shown there as well.

Switchboard
`, u.Name, a.Company, a.Company, a.ID, u.Email, days, link, consoleHome(cfg.ConsoleURL, "the Switchboard console"))}
	}
	return mail.Message{From: cfg.MailFrom, To: to,
		Subject: fmt.Sprintf("Ihr Switchboard-Zugang für %s", a.Company),
		Body: fmt.Sprintf(`Hallo %s,

ein Administrator von %s hat Ihnen einen Zugang zur Telefonanlage des Unternehmens eingerichtet.

Konto:          %s (%s)
Ihre Anmeldung: %s

Legen Sie Ihr Passwort über diesen Link fest (%d Tage gültig, einmal verwendbar):
%s

Danach melden Sie sich unter %s mit Ihrer E-Mail-Adresse und diesem Passwort an.
Dort finden Sie auch die SIP-Einstellungen Ihrer Telefone.

Switchboard
`, u.Name, a.Company, a.Company, a.ID, u.Email, days, link, consoleHome(cfg.ConsoleURL, "der Switchboard-Konsole"))}
}

// consoleHome is where users log in: the console's address, or its name
// when the service was not told the address.
func consoleHome(consoleURL, name string) string {
	if consoleURL == "" {
		return name
	}
	return strings.TrimRight(consoleURL, "/") + "/"
}
