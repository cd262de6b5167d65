// Package fleet assembles one media fleet node from its parts: the
// directory, the registrar, the RTP relay, the SIP node (UDP and TCP), the
// STUN server and the call router (B2BUA). Both shapes of Switchboard run
// it: the local stack in process, and mediafleet/fleetd on EC2.
//
// It also holds what keeps a node's directory current when the table's
// changes arrive over the network (Sync, Handler) and the node's presence
// in the table that lets streamsync find it (Presence). It does not read
// configuration, pick a store or a publisher, or decide how the process
// starts and stops: its callers do.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"
	"golang.org/x/sync/errgroup"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/mediafleet/node"
	"github.com/switchboard/switchboard/mediafleet/probe"
	"github.com/switchboard/switchboard/mediafleet/registrar"
	"github.com/switchboard/switchboard/mediafleet/stun"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/store"
)

// Config configures a fleet node. Zero values take the parts' defaults.
type Config struct {
	// Domain is the SIP domain and digest realm. Required.
	Domain string
	// Node names this node in the bindings it writes. Default: the host
	// name.
	Node string
	// SIPUDP and SIPTCP are the host:port of SIP over UDP and TCP; empty
	// disables one. With both empty the node answers no SIP: no
	// registrar or call router runs (the call router is still built).
	SIPUDP, SIPTCP string
	// STUN is the host:port of the STUN server; empty disables it.
	STUN string
	// RelayListenIP, RelayAdvertiseIP and RTPPortMin/RTPPortMax configure
	// the RTP relay (media.Config): the address its sockets bind to, the
	// address written into SDP (the node's public address), and its UDP
	// port range.
	RelayListenIP    netip.Addr
	RelayAdvertiseIP netip.Addr
	RTPPortMin       int
	RTPPortMax       int
	// Challenges are the digest algorithms the registrar's 401 and the
	// call router's 407 offer, in order ("MD5", "SHA-256"). Default
	// both, MD5 first.
	Challenges []string
	// PeerKey keys the header with which nodes pass each other calls for
	// the phones registered with them (calls.Config.PeerKey); with it,
	// the call router finds such phones through the table (TablePeers).
	// Empty: a node rings only its own phones.
	PeerKey []byte
	// Advertise is the node's public address where phones reach it
	// through one-to-one NAT (an Elastic IP): the call router writes it
	// into its Via and Contact headers. Zero: the sockets' own addresses.
	Advertise netip.Addr
	// Trunk is the upstream SIP trunk of external numbers.
	Trunk calls.Trunk
	// NonceSecret keys the HMAC of the digest nonces of both the
	// registrar and the call router. Nodes that may see answers to each
	// other's challenges need the same one (at least 16 bytes). Default:
	// random per process.
	NonceSecret []byte
	// Calls, when set, adjusts the call router's configuration and
	// dependencies just before it is built, for settings this Config does
	// not carry.
	Calls func(*calls.Config, *calls.Deps)
}

// Fleet is one fleet node. Build it with New, fill its directory (Load or
// a Sync), serve with Run.
type Fleet struct {
	cfg   Config
	log   *slog.Logger
	st    store.Store
	dir   *directory.Directory
	reg   *registrar.Registrar
	relay *media.Relay
	sip   *node.Node
	stun  *stun.Server
	calls *calls.Router
	probe *probe.Prober
}

// New builds the parts on st (bindings and call records are written there;
// the directory's snapshots are read from it) and pub (call events), and
// binds every socket, so that a port in use fails here. The directory
// starts empty. Close releases what New acquired if Run is not called.
func New(ctx context.Context, cfg Config, st store.Store, pub events.Publisher, logger *slog.Logger) (*Fleet, error) {
	if st == nil || pub == nil || logger == nil {
		return nil, errors.New("fleet: store, publisher and logger are required")
	}
	f := &Fleet{cfg: cfg, log: logger, st: st, dir: directory.New(logger)}
	if err := f.build(ctx, pub); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fleet) build(ctx context.Context, pub events.Publisher) error {
	var err error
	if f.reg, err = registrar.New(registrar.Config{Realm: f.cfg.Domain, Node: f.cfg.Node, NonceSecret: f.cfg.NonceSecret,
		Challenges: f.cfg.Challenges},
		f.dir, f.st, f.log); err != nil {
		return err
	}
	if f.relay, err = media.New(media.Config{ListenIP: f.cfg.RelayListenIP, AdvertiseIP: f.cfg.RelayAdvertiseIP,
		PortMin: f.cfg.RTPPortMin, PortMax: f.cfg.RTPPortMax}, f.log); err != nil {
		return err
	}
	if f.cfg.SIPUDP != "" || f.cfg.SIPTCP != "" {
		// The B2BUA sends through the node, so it is made after it; the
		// node reaches it through closures, used only once serving starts.
		routes := []node.Route{{Method: sip.REGISTER, Handle: f.reg.ServeSIP}}
		for _, m := range calls.Methods {
			routes = append(routes, node.Route{Method: m, Handle: func(req *sip.Request, tx sip.ServerTransaction) { f.calls.ServeSIP(req, tx) }})
		}
		f.sip, err = node.New(node.Config{UDPAddr: f.cfg.SIPUDP, TCPAddr: f.cfg.SIPTCP, Domain: f.cfg.Domain,
			Routes: routes, Stray: func(res *sip.Response) { f.calls.Stray(res) }}, f.log)
		if err != nil {
			return err
		}
		if err := f.sip.Listen(ctx); err != nil {
			return err
		}
	}
	if err := f.callRouter(pub); err != nil {
		return err
	}
	if f.sip != nil {
		f.probe = probe.New(f.cfg.Node, f.reg, f.sip, f.st, f.log)
	}
	if f.cfg.STUN != "" {
		if f.stun, err = stun.New(stun.Config{Addr: f.cfg.STUN}, f.log); err != nil {
			return err
		}
		if err := f.stun.Listen(ctx); err != nil {
			return err
		}
	}
	return nil
}

// callRouter builds the B2BUA once the node exists: its requests to phones
// leave through the node's sockets, from the address the phones registered
// to (NAT bindings and TCP connections stay usable).
func (f *Fleet) callRouter(pub events.Publisher) error {
	cfg := calls.Config{Realm: f.cfg.Domain, Trunk: f.cfg.Trunk, NonceSecret: f.cfg.NonceSecret, Advertise: f.cfg.Advertise,
		PeerKey: f.cfg.PeerKey, Challenges: f.cfg.Challenges}
	deps := calls.Deps{Directory: f.dir, Bindings: f.reg, Media: calls.Relay(f.relay), Store: f.st, Events: pub}
	if len(f.cfg.PeerKey) > 0 {
		deps.Peers = &TablePeers{Self: f.cfg.Node, Store: f.st}
	}
	if f.sip != nil {
		deps.Node = f.sip
	}
	if f.cfg.Calls != nil {
		f.cfg.Calls(&cfg, &deps)
	}
	var err error
	f.calls, err = calls.New(cfg, deps, f.log)
	return err
}

// Directory is the node's directory: Load fills it, a Sync or
// streamsync (as its sink) keeps it current.
func (f *Fleet) Directory() *directory.Directory { return f.dir }

// Apply takes a batch of change notifications: the directory's, and the
// connection checks of phones registered here, which the node answers.
// It implements streamsync's sink.
func (f *Fleet) Apply(ctx context.Context, batch []change.Notification) error {
	err := f.dir.Apply(ctx, batch)
	if f.probe != nil {
		_ = f.probe.Apply(ctx, batch)
	}
	return err
}

// Load replaces the directory with a snapshot of the store.
func (f *Fleet) Load(ctx context.Context) error { return f.dir.Load(ctx, f.st) }

// Run serves until ctx ends, then stops every part and returns the first
// failure of any. The call router ends its calls (BYE, CANCEL, records,
// events) before the SIP node and the relay stop carrying their messages
// and media; when Run returns, no more call events are published.
func (f *Fleet) Run(ctx context.Context) error {
	defer f.Close()
	g, ctx := errgroup.WithContext(ctx)
	if f.sip != nil {
		sipCtx, stopSIP := context.WithCancel(context.WithoutCancel(ctx))
		g.Go(func() error { defer stopSIP(); return f.calls.Run(ctx) })
		g.Go(func() error { return f.sip.Serve(sipCtx) })
		g.Go(func() error { return f.relay.Run(sipCtx) })
		g.Go(func() error { return f.reg.Run(ctx, f.sip) })
	}
	if f.stun != nil {
		g.Go(func() error { return f.stun.Serve(ctx) })
	}
	g.Go(func() error { <-ctx.Done(); return nil })
	err := g.Wait()
	if f.probe != nil {
		f.probe.Wait()
	}
	return err
}

// Close releases the sockets; parts that served have closed theirs
// already. It is safe to call more than once.
func (f *Fleet) Close() {
	if f.sip != nil {
		_ = f.sip.Close()
	}
	if f.calls != nil {
		_ = f.calls.Close()
	}
	if f.stun != nil {
		_ = f.stun.Close()
	}
}

// SIPUDPAddr returns the bound SIP over UDP address, or nil.
func (f *Fleet) SIPUDPAddr() net.Addr {
	if f.sip == nil {
		return nil
	}
	return f.sip.UDPAddr()
}

// SIPTCPAddr returns the bound SIP over TCP address, or nil.
func (f *Fleet) SIPTCPAddr() net.Addr {
	if f.sip == nil {
		return nil
	}
	return f.sip.TCPAddr()
}

// STUNAddr returns the bound STUN address, or nil.
func (f *Fleet) STUNAddr() net.Addr {
	if f.stun == nil {
		return nil
	}
	return f.stun.Addr()
}

// ParseChallenges reads a setting of digest algorithms: md5 and sha-256,
// comma-separated, each at most once, in the order challenges offer them.
func ParseChallenges(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		switch v := strings.ToUpper(strings.TrimSpace(a)); v {
		case "MD5", "SHA-256":
			if slices.Contains(out, v) {
				return nil, fmt.Errorf("%s twice", v)
			}
			out = append(out, v)
		default:
			return nil, fmt.Errorf("want md5 and/or sha-256, not %q", strings.TrimSpace(a))
		}
	}
	return out, nil
}
