package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"golang.org/x/sync/errgroup"
)

// DefaultUserAgent is the Server header value when Config.UserAgent is empty.
const DefaultUserAgent = "Switchboard"

// Errors returned by Node methods; callers branch on them with errors.Is.
var (
	// ErrNotListening is returned by Serve when Listen has not succeeded.
	ErrNotListening = errors.New("node: not listening")
	// ErrListening is returned by Listen when the node already has sockets.
	ErrListening = errors.New("node: already listening")
	// ErrServing is returned by Serve when the node serves or has served:
	// a Node serves its sockets once.
	ErrServing = errors.New("node: already serving")
	// ErrStopped is returned by KeepAlive once the node stops.
	ErrStopped = errors.New("node: stopped")
)

// errTransportStopped reports a transport whose serve loop ended while the
// node was still meant to run (sipgo returns nil when a UDP read fails).
var errTransportStopped = errors.New("transport stopped")

// Config configures a Node.
type Config struct {
	// UDPAddr is the host:port for SIP over UDP, e.g. "0.0.0.0:5060".
	// Empty disables UDP.
	UDPAddr string
	// TCPAddr is the host:port for SIP over TCP. Empty disables TCP.
	TCPAddr string
	// Domain is the SIP domain the node serves; registrations and digest
	// authentication use it as their realm. It is also the host part of
	// the From header of requests the node originates.
	Domain string
	// UserAgent names the node in Server headers and in requests it
	// originates. Empty means DefaultUserAgent.
	UserAgent string
	// Routes adds handlers for methods the node does not answer itself
	// (the registrar's REGISTER, the call router's INVITE, …). They are
	// mounted after OPTIONS, in this order, and listed in Allow.
	Routes []Route
	// Stray receives responses that match no client transaction of the
	// node, such as a callee's retransmitted 2xx to an INVITE the call
	// router sent through Client. Nil drops them.
	Stray func(*sip.Response)
}

func (c Config) validate() error {
	if c.UDPAddr == "" && c.TCPAddr == "" {
		return errors.New("no transport: UDPAddr and TCPAddr are both empty")
	}
	for name, addr := range map[string]string{"UDPAddr": c.UDPAddr, "TCPAddr": c.TCPAddr} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s %q: %w", name, addr, err)
		}
	}
	if c.Domain == "" {
		return errors.New("empty Domain")
	}
	if strings.ContainsAny(c.Domain, " \t\r\n;,@<>\"") {
		return fmt.Errorf("bad Domain %q: not a host name", c.Domain)
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		return errors.New("bad UserAgent: contains a line break")
	}
	seen := map[sip.RequestMethod]bool{sip.OPTIONS: true}
	for _, r := range c.Routes {
		switch {
		case r.Handle == nil:
			return fmt.Errorf("route %s: no handler", r.Method)
		case r.Method == "" || strings.ContainsAny(string(r.Method), " \t\r\n,"):
			return fmt.Errorf("route %q: not a method name", r.Method)
		case seen[r.Method]:
			return fmt.Errorf("route %s: method has a handler already", r.Method)
		case r.Stateless && (r.Method == sip.INVITE || r.Method == sip.ACK || r.Method == sip.CANCEL):
			return fmt.Errorf("route %s: cannot be stateless", r.Method)
		}
		seen[r.Method] = true
	}
	return nil
}

// Node is one fleet node's SIP front.
type Node struct {
	cfg   Config
	log   *slog.Logger
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cli   *sipgo.Client // requests the node originates (keep-alives)
	allow string        // the Allow header value, from the method table
	// stateless holds the handlers of stateless routes by method, for
	// the UDP readers.
	stateless map[string]Handler

	mu       sync.Mutex
	udp      net.PacketConn
	tcp      net.Listener
	serving  bool
	stopping bool // set once; no handler starts after it

	// active counts handlers that are running, so Serve can let them
	// finish before it closes the user agent. Add happens only under mu
	// while !stopping, which keeps it from racing with Wait.
	active sync.WaitGroup
}

// New validates cfg and builds the node's user agent and method table. It
// binds nothing; call Listen and then Serve.
func New(cfg Config, logger *slog.Logger) (*Node, error) {
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("node: config: %w", err)
	}
	if logger == nil {
		return nil, errors.New("node: logger is nil")
	}
	log := logger.With("component", "sip")

	// sipgo's own layers log through the same logger, so its parse and
	// transport errors carry our structure instead of going to the
	// process-wide default; long values in them are capped.
	sipLog := slog.New(capped{log.Handler()})
	txOpts := []sip.TransactionLayerOption{sip.WithTransactionLayerLogger(sipLog)}
	if cfg.Stray != nil {
		txOpts = append(txOpts, sip.WithTransactionLayerUnhandledResponseHandler(cfg.Stray))
	}
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(cfg.Domain),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)),
		sipgo.WithUserAgentTransactionLayerOptions(txOpts...),
	)
	if err != nil {
		return nil, fmt.Errorf("node: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("node: server: %w", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("node: client: %w", err)
	}
	n := &Node{cfg: cfg, log: log, ua: ua, srv: srv, cli: cli}
	n.mount()
	return n, nil
}

// Client sends requests through the node's own user agent, so they leave
// from the node's sockets: a UDP request whose Laddr is UDPAddr goes out
// of the listening socket (phones behind NAT accept requests only from
// the address they registered to), and a TCP request to a phone's
// address goes over the connection the phone opened, which sipgo keeps
// by its remote address. Responses arrive through the node's transaction
// layer. Callers build requests whole (Via included), send only while
// Serve serves (sipgo sends from a socket only once it serves it) and
// stop sending before Serve returns.
func (n *Node) Client() *sipgo.Client { return n.cli }

// Listen binds the configured sockets. After it returns, UDPAddr and
// TCPAddr report the bound addresses; call Serve to handle requests, or
// Close to give the sockets up.
func (n *Node) Listen(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.udp != nil || n.tcp != nil {
		return ErrListening
	}
	var lc net.ListenConfig
	var udp net.PacketConn
	if n.cfg.UDPAddr != "" {
		pc, err := lc.ListenPacket(ctx, "udp", n.cfg.UDPAddr)
		if err != nil {
			return fmt.Errorf("node: listen udp %s: %w", n.cfg.UDPAddr, err)
		}
		udp = pc
	}
	if n.cfg.TCPAddr != "" {
		l, err := lc.Listen(ctx, "tcp", n.cfg.TCPAddr)
		if err != nil {
			if udp != nil {
				_ = udp.Close()
			}
			return fmt.Errorf("node: listen tcp %s: %w", n.cfg.TCPAddr, err)
		}
		n.tcp = l
	}
	n.udp = udp
	n.log.Info("sip listening", "udp", addrString(n.udpAddrLocked()), "tcp", addrString(n.tcpAddrLocked()),
		"domain", n.cfg.Domain, "user_agent", n.cfg.UserAgent)
	return nil
}

// UDPAddr returns the bound UDP address, or nil if UDP is disabled or
// Listen has not run.
func (n *Node) UDPAddr() net.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.udpAddrLocked()
}

// TCPAddr returns the bound TCP address, or nil if TCP is disabled or
// Listen has not run.
func (n *Node) TCPAddr() net.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tcpAddrLocked()
}

func (n *Node) udpAddrLocked() net.Addr {
	if n.udp == nil {
		return nil
	}
	return n.udp.LocalAddr()
}

func (n *Node) tcpAddrLocked() net.Addr {
	if n.tcp == nil {
		return nil
	}
	return n.tcp.Addr()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// Serve handles requests until ctx is cancelled, then closes the sockets,
// lets running handlers finish, closes the open TCP connections and the
// pending transactions, and returns nil. If a transport fails first, Serve
// shuts the others down the same way and returns the failure.
//
// sipgo hands each request to a goroutine of its own. One that was started
// just before the sockets closed may still be unwinding when Serve
// returns; it runs no handler and closes whatever sipgo opened for it.
func (n *Node) Serve(ctx context.Context) error {
	n.mu.Lock()
	udp, tcp, serving := n.udp, n.tcp, n.serving
	listening := udp != nil || tcp != nil
	if listening && !serving {
		n.serving = true
	}
	n.mu.Unlock()
	if !listening {
		return ErrNotListening
	}
	if serving {
		return ErrServing
	}

	g, gctx := errgroup.WithContext(ctx)
	if udp != nil {
		if uc, ok := udp.(*net.UDPConn); ok {
			// The node reads the socket itself: several readers, and
			// stateless routes answered in them; sipgo gets the rest.
			front := newUDPFront(uc, n, n.stateless)
			g.Go(func() error { return transportDone(gctx, "udp", front.run()) })
			g.Go(func() error { return transportDone(gctx, "udp", n.srv.ServeUDP(sipgoConn{front})) })
		} else {
			g.Go(func() error { return transportDone(gctx, "udp", n.srv.ServeUDP(udp)) })
		}
	}
	if tcp != nil {
		g.Go(func() error { return transportDone(gctx, "tcp", n.srv.ServeTCP(tcp)) })
	}
	// Closing the sockets is what makes sipgo's serve loops return.
	g.Go(func() error {
		<-gctx.Done()
		n.stop()
		return n.closeListeners()
	})
	n.log.Info("sip serving", "udp", addrString(udpAddr(udp)), "tcp", addrString(tcpAddr(tcp)))
	err := g.Wait()
	n.active.Wait()

	// The user agent owns the accepted TCP connections and the pending
	// transactions with their timers; closing it ends their goroutines.
	if cerr := n.ua.Close(); cerr != nil {
		n.log.Debug("sip user agent closed with error", "error", cerr.Error())
	}
	if ctx.Err() != nil {
		n.log.Info("sip stopped")
		return nil
	}
	return err
}

// transportDone turns the end of a sipgo serve loop into the error that
// stops the node, unless the node is stopping anyway.
func transportDone(ctx context.Context, network string, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		err = errTransportStopped
	}
	return fmt.Errorf("node: serve %s: %w", network, err)
}

func udpAddr(c net.PacketConn) net.Addr {
	if c == nil {
		return nil
	}
	return c.LocalAddr()
}

func tcpAddr(l net.Listener) net.Addr {
	if l == nil {
		return nil
	}
	return l.Addr()
}

// KeepAlive sends one NAT keep-alive to a peer the node heard from at addr
// (host:port) over transport, so that the NAT in front of the peer keeps
// its mapping open for requests the node sends later. On TCP it writes a
// double CRLF on the connection the peer opened (RFC 5626 section 3.5.1);
// the node never opens one for it. On UDP it sends an OPTIONS request to
// target from the node's own socket and returns when the peer answers
// (any final response counts as alive) or ctx ends.
func (n *Node) KeepAlive(ctx context.Context, transport, addr string, target sip.Uri) error {
	n.mu.Lock()
	stopping := n.stopping
	n.mu.Unlock()
	if stopping {
		return ErrStopped
	}
	switch strings.ToLower(transport) {
	case "tcp":
		conn, err := n.ua.TransportLayer().GetConnection("tcp", addr)
		if err != nil {
			return fmt.Errorf("node: keep-alive to %s: no connection: %w", addr, err)
		}
		defer conn.TryClose() // GetConnection took a reference
		w, ok := conn.(io.Writer)
		if !ok {
			return fmt.Errorf("node: keep-alive to %s: connection cannot write", addr)
		}
		if _, err := w.Write([]byte("\r\n\r\n")); err != nil {
			return fmt.Errorf("node: keep-alive to %s: %w", addr, err)
		}
		return nil
	case "udp":
		req := sip.NewRequest(sip.OPTIONS, target)
		req.SetTransport("UDP")
		req.SetDestination(addr)
		// From the listening socket, whose mapping in the peer's NAT
		// the keep-alive is for. sipgo does not learn the peer's address
		// from its REGISTER (the node's readers answer those), so the
		// socket is named rather than looked up by the peer's address.
		if a, ok := n.UDPAddr().(*net.UDPAddr); ok {
			req.Laddr = sip.Addr{IP: a.IP, Port: a.Port}
		}
		if _, err := n.cli.Do(ctx, req); err != nil {
			return fmt.Errorf("node: keep-alive to %s: %w", addr, err)
		}
		return nil
	}
	return fmt.Errorf("node: keep-alive to %s: transport %q not supported", addr, transport)
}

// Close releases the sockets and the user agent of a node that was bound
// but will not serve. Serve cleans up itself when its context ends, so
// Close is only needed on the paths where Serve never runs. It is safe to
// call more than once and after Serve.
func (n *Node) Close() error {
	n.stop()
	err := n.closeListeners()
	return errors.Join(err, n.ua.Close())
}

// stop makes the node refuse handlers from now on.
func (n *Node) stop() {
	n.mu.Lock()
	n.stopping = true
	n.mu.Unlock()
}

// admit reports whether a handler may run and, if so, counts it as active;
// the caller must call n.active.Done when the handler returns.
func (n *Node) admit() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopping {
		return false
	}
	n.active.Add(1)
	return true
}

// closeListeners closes both sockets, treating an already closed socket as
// success so that Serve and Close can both call it.
func (n *Node) closeListeners() error {
	n.mu.Lock()
	udp, tcp := n.udp, n.tcp
	n.mu.Unlock()
	var errs []error
	if udp != nil {
		if err := udp.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close udp: %w", err))
		}
	}
	if tcp != nil {
		if err := tcp.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close tcp: %w", err))
		}
	}
	return errors.Join(errs...)
}
