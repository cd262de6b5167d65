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
	"github.com/emiago/sipgo/sip"
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
	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/mediafleet/node"
	"github.com/switchboard/switchboard/mediafleet/registrar"
	"github.com/switchboard/switchboard/mediafleet/stun"
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
	cfg   Config
	log   *slog.Logger
	db    *embedded.DB
	http  *http.Server
	ln    net.Listener
	sip   *node.Node
	stun  *stun.Server
	sync  *streamsync.Handler
	dir   *directory.Directory
	reg   *registrar.Registrar
	relay *media.Relay
	calls *calls.Router
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
	if err := s.fleet(ctx); err != nil {
		return err
	}
	var err error
	if s.cfg.SIPUDP != off || s.cfg.SIPTCP != off {
		// The B2BUA sends through the node, so it is made after it; the
		// node reaches it through closures, used only once serving starts.
		routes := []node.Route{{Method: sip.REGISTER, Handle: s.reg.ServeSIP}}
		for _, m := range calls.Methods {
			routes = append(routes, node.Route{Method: m, Handle: func(req *sip.Request, tx sip.ServerTransaction) { s.calls.ServeSIP(req, tx) }})
		}
		s.sip, err = node.New(node.Config{UDPAddr: addrOrEmpty(s.cfg.SIPUDP), TCPAddr: addrOrEmpty(s.cfg.SIPTCP), Domain: s.cfg.SIPDomain,
			Routes: routes, Stray: func(res *sip.Response) { s.calls.Stray(res) }}, s.log)
		if err != nil {
			return err
		}
		if err := s.sip.Listen(ctx); err != nil {
			return err
		}
	}
	if err := s.callRouter(); err != nil {
		return err
	}
	if s.cfg.STUN != off {
		if s.stun, err = stun.New(stun.Config{Addr: s.cfg.STUN}, s.log); err != nil {
			return err
		}
		if err := s.stun.Listen(ctx); err != nil {
			return err
		}
	}
	var lc net.ListenConfig
	if s.ln, err = lc.Listen(ctx, "tcp", s.cfg.HTTP); err != nil {
		return fmt.Errorf("http: %w", err)
	}
	accounts, err := s.accounts()
	if err != nil {
		return err
	}
	if s.hooks, err = webhook.New(webhook.Config{}, s.db, accounts.Sealer(), s.log); err != nil {
		return err
	}
	s.hookQueue = webhook.NewQueue(s.db, nil, 0)
	mux := api.Mount(api.Deps{Store: s.db, Accounts: accounts, Logger: s.log}, httpFunctions...)
	mux.Handle("/", console.Handler()) // the web console; /v1/ and /healthz are more specific
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.sync, err = streamsync.New(s.dir, s.log)
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
	if s.sip != nil {
		if a := s.sip.UDPAddr(); a != nil {
			cfg.Proxy = a.String()
		} else if a := s.sip.TCPAddr(); a != nil {
			cfg.Proxy = a.String()
		}
	}
	if s.stun != nil {
		cfg.STUN = s.stun.Addr().String()
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
	if s.sip != nil {
		// The B2BUA ends its calls (BYE, CANCEL, records) before the node
		// and the relay stop carrying their messages and media.
		sipCtx, stopSIP := context.WithCancel(context.WithoutCancel(ctx))
		g.Go(func() error { defer stopSIP(); defer s.events.Close(); return s.calls.Run(ctx) })
		g.Go(func() error { return s.sip.Serve(sipCtx) })
		g.Go(func() error { return s.relay.Run(sipCtx) })
		g.Go(func() error { return s.reg.Run(ctx, s.sip) })
	}
	if s.stun != nil {
		g.Go(func() error { return s.stun.Serve(ctx) })
	}
	if s.sip == nil {
		g.Go(func() error { <-ctx.Done(); s.events.Close(); return nil })
	}
	// Call events are queued until the B2BUA has stopped publishing
	// (events.Close ends the feed), and delivered until ctx ends; what is
	// queued then is delivered after the next start.
	g.Go(func() error { return s.hookQueue.Feed(context.WithoutCancel(ctx), s.eventSub, s.hooks) })
	g.Go(func() error {
		w := webhook.Worker{Queue: s.hookQueue, Send: s.hooks, Retry: webhook.DefaultRetry, Log: s.log}
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
	if s.sip != nil {
		if a := s.sip.UDPAddr(); a != nil {
			attrs = append(attrs, "sip_udp", a.String())
		}
		if a := s.sip.TCPAddr(); a != nil {
			attrs = append(attrs, "sip_tcp", a.String())
		}
	}
	if s.stun != nil {
		attrs = append(attrs, "stun", s.stun.Addr().String())
	}
	return append(attrs, "sip_domain", s.cfg.SIPDomain, "db", s.db.Path())
}

// close releases whatever Open acquired; parts that served have closed
// their sockets already.
func (s *Stack) close() {
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.sip != nil {
		_ = s.sip.Close()
	}
	if s.calls != nil {
		_ = s.calls.Close()
	}
	if s.stun != nil {
		_ = s.stun.Close()
	}
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			s.log.Error("close database", "err", err)
		}
	}
}
