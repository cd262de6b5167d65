// Package account is the domain of everything that lives in a customer's
// account: sign-up, logins and credentials, users, their phones and
// external phones, groups, numbers and their routing, extensions, contacts
// and the audit trail (PRODUCT.md A0, A3–A5, A10, A11, P1–P3, U3–U5, U7,
// U8).
//
// Every operation takes the caller as an auth.Principal and works only in
// the principal's account partition, so no input can reach another
// account's items. Writes that belong together go into one atomic store
// write with guard items for what must be unique (login e-mail, extension,
// number), so a failed request leaves nothing half-written. It knows no
// HTTP; functions/* translate.
package account

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/store"
)

// Sealer seals secrets that must be shown again (SIP passwords).
type Sealer interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Config holds what the service tells phones and users about the system.
type Config struct {
	Realm         string // SIP domain and digest realm
	Proxy         string // SIP proxy (registrar) host[:port]
	OutboundProxy string // outbound proxy host[:port]
	STUN          string // STUN server host:port
	ConsoleURL    string // base URL of the console, for links in e-mails
	MailFrom      string // sender of e-mails
	Region        string // country national numbers are read in
	Limits        Limits
}

// Limits bound attempts per caller; zero fields take the defaults.
type Limits struct {
	SignupsPerHour  int // per client address (default 20)
	LoginsPerClient int // per client address and 15 minutes (default 100)
	LoginsPerEmail  int // per e-mail address and 15 minutes (default 10)
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Service is the account domain.
type Service struct {
	cfg    Config
	store  store.Store
	seal   Sealer
	outbox mail.Outbox
	log    *slog.Logger
	now    func() time.Time

	loginLimit  auth.Limiter // per e-mail address
	clientLimit auth.Limiter // per client address, for logins
	signupLimit auth.Limiter // per client address
}

// New returns the service.
func New(cfg Config, st store.Store, seal Sealer, outbox mail.Outbox, logger *slog.Logger) (*Service, error) {
	if st == nil || seal == nil || outbox == nil {
		return nil, errors.New("account: store, sealer and outbox are required")
	}
	if cfg.Realm == "" {
		return nil, errors.New("account: no SIP realm")
	}
	if cfg.Proxy == "" {
		cfg.Proxy = cfg.Realm
	}
	if cfg.OutboundProxy == "" {
		cfg.OutboundProxy = cfg.Proxy
	}
	if cfg.Region == "" {
		cfg.Region = "DE"
	}
	if cfg.MailFrom == "" {
		cfg.MailFrom = "Switchboard <noreply@" + cfg.Realm + ">"
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &Service{cfg: cfg, store: st, seal: seal, outbox: outbox, log: logger, now: time.Now}
	s.loginLimit = auth.Limiter{Store: st, Name: "login-email", Limit: orInt(cfg.Limits.LoginsPerEmail, 10), Window: 15 * time.Minute}
	s.clientLimit = auth.Limiter{Store: st, Name: "login-client", Limit: orInt(cfg.Limits.LoginsPerClient, 100), Window: 15 * time.Minute}
	s.signupLimit = auth.Limiter{Store: st, Name: "signup", Limit: orInt(cfg.Limits.SignupsPerHour, 20), Window: time.Hour}
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// SetClock replaces the clock, for tests of expiry.
func (s *Service) SetClock(now func() time.Time) {
	s.now = now
	s.loginLimit.Clock, s.clientLimit.Clock, s.signupLimit.Clock = now, now, now
}
