package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	callevents "github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/billing"
	"github.com/switchboard/switchboard/functions/console"
	"github.com/switchboard/switchboard/functions/groups"
	"github.com/switchboard/switchboard/functions/numbers"
	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/functions/users"
	"github.com/switchboard/switchboard/functions/verification"
	"github.com/switchboard/switchboard/functions/vouchers"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// httpFunctions are the HTTP functions the local stack serves on one mux.
var httpFunctions = []api.Registrar{
	accounts.WithWebhookURLs(account.URLPolicy{}), users.Register, groups.Register, numbers.Register,
	billing.Register, vouchers.Register, verification.Register,
}

// Stack is the whole of Switchboard in one process: the embedded table,
// the HTTP API, the fleet's SIP and STUN listeners, and streamsync feeding
// the fleet from the table's change log.
type Stack struct {
	cfg  Config
	log  *slog.Logger
	db   *embedded.DB
	http *http.Server
	ln   net.Listener
	// fleet is the media fleet's node: directory, registrar, relay,
	// B2BUA, SIP and STUN listeners.
	fleet *fleet.Fleet
	sync  *streamsync.Handler
	// events carries the B2BUA's call events to the webhook queue, whose
	// worker delivers them.
	events    *callevents.Local
	eventSub  <-chan callevents.Event
	hooks     *webhook.Deliverer
	hookQueue *webhook.Queue
	// after is the change log position the directory's snapshot was
	// taken at; follow applies the records after it.
	after uint64
}

// Open opens the database and binds every listener, so that a port in use
// or a bad database fails before anything serves.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Stack, error) {
	s := &Stack{cfg: cfg, log: logger}
	var err error
	if s.db, err = embedded.Open(embedded.Config{Path: cfg.DBPath(), Logger: logger}); err != nil {
		return nil, err
	}
	if err := s.bind(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) bind(ctx context.Context) error {
	s.events = callevents.NewLocal()
	s.eventSub = s.events.Subscribe(256)
	if err := s.openFleet(ctx); err != nil {
		return err
	}
	var err error
	var lc net.ListenConfig
	if s.ln, err = lc.Listen(ctx, "tcp", s.cfg.HTTP); err != nil {
		return fmt.Errorf("http: %w", err)
	}
	accounts, err := s.accounts()
	if err != nil {
		return err
	}
	_, hookTimeout, _ := s.cfg.Durations()
	if s.hooks, err = webhook.New(webhook.Config{Timeout: hookTimeout}, s.db, accounts.Sealer(), s.log); err != nil {
		return err
	}
	s.hookQueue = webhook.NewQueue(s.db, nil, 0)
	mux := api.Mount(api.Deps{Store: s.db, Accounts: accounts, Logger: s.log}, httpFunctions...)
	mux.Handle("/", console.Handler()) // the web console; /v1/ and /healthz are more specific
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.sync, err = streamsync.New(s.fleet, s.log)
	return err
}

// accounts builds the account domain of the local stack: SIP passwords
// sealed with a key file in the data folder, e-mails as .eml files in its
// outbox folder, and the addresses phones and users are told.
func (s *Stack) accounts() (*account.Service, error) {
	kf, err := secret.OpenKeyFile(filepath.Join(s.cfg.Data, "secret.key"))
	if err != nil {
		return nil, err
	}
	signups, logins := s.cfg.Limits()
	cfg := account.Config{Realm: s.cfg.SIPDomain, ConsoleURL: "http://" + s.ln.Addr().String(),
		Limits: account.Limits{SignupsPerHour: signups, LoginsPerClient: logins}}
	if a := s.fleet.SIPUDPAddr(); a != nil {
		cfg.Proxy = a.String()
	} else if a := s.fleet.SIPTCPAddr(); a != nil {
		cfg.Proxy = a.String()
	}
	if a := s.fleet.STUNAddr(); a != nil {
		cfg.STUN = a.String()
	}
	return account.New(cfg, s.db, secret.Envelope{KEK: kf}, mail.Folder{Dir: s.cfg.Outbox()}, s.log)
}

func addrOrEmpty(a string) string {
	if a == off {
		return ""
	}
	return a
}

// Run serves until ctx ends, then shuts everything down and closes the
// database. It returns the first failure of any part.
func (s *Stack) Run(ctx context.Context) error {
	defer s.close()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.http.Shutdown(shut)
	})
	// The fleet's B2BUA ends its calls (BYE, CANCEL, records) before its
	// SIP node and relay stop carrying their messages and media; once the
	// fleet has stopped, no call event follows, and the feed ends.
	g.Go(func() error { defer s.events.Close(); return s.fleet.Run(ctx) })
	// Call events are queued until the B2BUA has stopped publishing
	// (events.Close ends the feed), and delivered until ctx ends; what is
	// queued then is delivered after the next start.
	g.Go(func() error { return s.hookQueue.Feed(context.WithoutCancel(ctx), s.eventSub, s.hooks) })
	g.Go(func() error {
		_, _, base := s.cfg.Durations()
		retry := webhook.DefaultRetry
		retry.Base = base
		w := webhook.Worker{Queue: s.hookQueue, Send: s.hooks, Retry: retry, Log: s.log}
		return w.Run(ctx)
	})
	g.Go(func() error { return s.follow(ctx) })
	s.log.Info("switchboard ready", s.readyAttrs()...)
	return g.Wait()
}

// follow feeds streamsync from the change log, from the position the
// directory's snapshot was taken at.
func (s *Stack) follow(ctx context.Context) error {
	for ctx.Err() == nil {
		err := s.db.Subscribe(ctx, s.after, 100, func(ctx context.Context, recs []events.DynamoDBEventRecord) error {
			resp, err := s.sync.Handle(ctx, events.DynamoDBEvent{Records: recs})
			if err == nil && len(resp.BatchItemFailures) > 0 {
				s.log.Warn("streamsync could not apply change records", "first_failed", resp.BatchItemFailures[0].ItemIdentifier)
			}
			return err
		})
		switch {
		case err == nil, errors.Is(err, embedded.ErrClosed):
			return nil
		case errors.Is(err, embedded.ErrTrimmed):
			s.log.Warn("change log trimmed past this reader; reloading the fleet's directory", "err", err)
			if err := s.loadDirectory(ctx); err != nil {
				return err
			}
		default:
			return fmt.Errorf("change log: %w", err)
		}
	}
	return nil
}

func (s *Stack) readyAttrs() []any {
	attrs := []any{"http", s.ln.Addr().String()}
	if a := s.fleet.SIPUDPAddr(); a != nil {
		attrs = append(attrs, "sip_udp", a.String())
	}
	if a := s.fleet.SIPTCPAddr(); a != nil {
		attrs = append(attrs, "sip_tcp", a.String())
	}
	if a := s.fleet.STUNAddr(); a != nil {
		attrs = append(attrs, "stun", a.String())
	}
	return append(attrs, "sip_domain", s.cfg.SIPDomain, "db", s.db.Path())
}

// close releases whatever Open acquired; parts that served have closed
// their sockets already.
func (s *Stack) close() {
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.fleet != nil {
		s.fleet.Close()
	}
	if s.hooks != nil {
		s.hooks.Wait() // newCall requests still out log into the table
	}
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			s.log.Error("close database", "err", err)
		}
	}
}
