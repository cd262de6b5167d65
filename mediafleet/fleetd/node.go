package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// node is the running service: the fleet, its sync endpoint and its
// presence in the table.
type node struct {
	cfg      Config
	log      *slog.Logger
	fleet    *fleet.Fleet
	sync     *fleet.Sync
	presence *fleet.Presence
	ln       net.Listener
	http     *http.Server
	syncAddr string // the address streamsync is told
}

// open binds the sync endpoint and prepares the node's presence.
func open(ctx context.Context, cfg Config, f *fleet.Fleet, st store.Store, logger *slog.Logger) (*node, error) {
	n := &node{cfg: cfg, log: logger, fleet: f}
	var lc net.ListenConfig
	var err error
	if n.ln, err = lc.Listen(ctx, "tcp", cfg.SyncAddr); err != nil {
		return nil, fmt.Errorf("sync endpoint: %w", err)
	}
	port := n.ln.Addr().(*net.TCPAddr).Port
	n.syncAddr = net.JoinHostPort(cfg.PrivateIP.String(), strconv.Itoa(port))
	n.sync = fleet.NewSync(f, logger)
	var sipAddr string
	if a := f.SIPUDPAddr(); a != nil {
		sipAddr = a.String() // where other nodes pass calls for this node's phones
	}
	n.presence, err = fleet.NewPresence(fleet.PresenceConfig{ID: cfg.NodeID, SyncAddr: n.syncAddr,
		PublicIP: cfg.PublicIP.String(), SIPAddr: sipAddr, Heartbeat: cfg.Heartbeat}, st, n.sync, logger)
	if err != nil {
		_ = n.ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(model.SyncPath, fleet.Handler(n.sync, logger))
	n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	return n, nil
}

// run serves the sync endpoint, lists the node in the table, loads the
// directory (pushes received meanwhile are held and applied after), then
// serves SIP, STUN and media until ctx ends. At the end the B2BUA ends its
// calls and the node's item is deleted.
func (n *node) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := n.http.Serve(n.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("sync endpoint: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		shut, stop := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
		defer stop()
		return n.http.Shutdown(shut)
	})
	if err := n.start(gctx); err != nil {
		cancel()
		n.fleet.Close()
		return errors.Join(err, g.Wait())
	}
	g.Go(func() error { return n.fleet.Run(gctx) })
	g.Go(func() error { return n.presence.Run(gctx) })
	n.log.Info("fleet ready", n.readyAttrs()...)
	return g.Wait()
}

// start lists the node and loads its directory, in that order: a change
// committed after the item was written is pushed here, one committed
// before is in the snapshot.
func (n *node) start(ctx context.Context) error {
	if err := n.presence.Join(ctx); err != nil {
		return err
	}
	if err := n.sync.Reload(ctx); err != nil {
		leave, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer stop()
		return errors.Join(err, n.presence.Leave(leave))
	}
	return nil
}

func (n *node) readyAttrs() []any {
	attrs := []any{"node", n.cfg.NodeID, "sync", n.syncAddr}
	if a := n.fleet.SIPUDPAddr(); a != nil {
		attrs = append(attrs, "sip_udp", a.String())
	}
	if a := n.fleet.SIPTCPAddr(); a != nil {
		attrs = append(attrs, "sip_tcp", a.String())
	}
	if a := n.fleet.STUNAddr(); a != nil {
		attrs = append(attrs, "stun", a.String())
	}
	c := n.fleet.Directory().Counts()
	return append(attrs, "public_ip", n.cfg.PublicIP.String(), "rtp_ports", fmt.Sprintf("%d-%d", n.cfg.RTPPortMin, n.cfg.RTPPortMax),
		"sip_domain", n.cfg.SIPDomain, "accounts", c.Accounts, "devices", c.Devices)
}
