package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/directory"
	sipdigest "github.com/switchboard/switchboard/mediafleet/internal/digest"
	"github.com/switchboard/switchboard/mediafleet/registrar"
	"github.com/switchboard/switchboard/shared/store"
)

// Directory is what the router reads about accounts; *directory.Directory
// implements it.
type Directory interface {
	Credentials(deviceID string) (directory.Credentials, bool)
	Device(id string) (*directory.Device, bool)
	User(account, id string) (*directory.User, bool)
	Group(account, id string) (*directory.Group, bool)
	Number(e164 string) (*directory.Number, bool)
	Extension(account, ext string) (directory.Target, bool)
	Devices(account, owner string) []*directory.Device
}

// Locator says where a phone is registered; *registrar.Registrar
// implements it.
type Locator interface {
	Bindings(deviceID string) []registrar.Binding
}

// Writer is the part of the table port call records are written with.
type Writer interface {
	Write(ctx context.Context, ops ...store.Op) error
}

// Sender sends the requests the router originates through the node's
// user agent and sockets; *node.Node implements it.
type Sender interface {
	// Client sends through the node's transports.
	Client() *sipgo.Client
	// UDPAddr is the node's UDP socket (nil without UDP or before it
	// listens): UDP requests leave from it and name it in their Via.
	UDPAddr() net.Addr
}

// Deps are the router's dependencies. All but Node are required.
type Deps struct {
	Directory Directory
	Bindings  Locator
	Media     Media
	Store     Writer
	Events    events.Publisher
	// Steer, when set, is asked how to handle each new call (the
	// newCall webhook) and followed (steer.go).
	Steer Steerer
	// Peers, when set, finds phones registered on other fleet nodes,
	// which then ring through those nodes (peer.go).
	Peers Peers
	// Node sends the requests the router originates, so that phones
	// behind NAT and phones registered over TCP get them from the address
	// and on the connection they registered to. Without it the router
	// sends from its own socket at Config.Bind. With it, the node's
	// Config.Stray must be the router's Stray, so that retransmitted 2xx
	// answers are acknowledged again.
	Node Sender
}

// Methods are the SIP methods the router answers; the node mounts
// ServeSIP for each. A CANCEL never reaches it: sipgo matches it to the
// pending INVITE's transaction, which the router watches.
var Methods = []sip.RequestMethod{sip.INVITE, sip.ACK, sip.BYE, sip.INFO}

// errStopped is returned by Run's second call.
var errStopped = errors.New("calls: router already ran")

// Router is the B2BUA of a fleet node. It is safe for concurrent use.
type Router struct {
	cfg    Config
	log    *slog.Logger
	deps   Deps
	nonces *sipdigest.Nonces
	// Failed INVITE authentications per source address and per device.
	bySource, byDevice *sipdigest.Limiter
	algs               []sipdigest.Algorithm // of a 407's challenges, in order
	trunkSrc           map[string]bool       // host:port or host of the trunk's calls
	trunkHost          string
	trunkPort          int

	// The B2BUA's own user agent sends the requests it originates from
	// one UDP socket, conn, where their responses arrive.
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	cli    *sipgo.Client
	conn   net.PacketConn
	via    netip.AddrPort // conn's address, for Via headers
	served chan error     // the serve loop's end

	mu       sync.Mutex
	dialogs  map[string]legRef // Call-ID of either leg -> call
	stopping bool
	ran      bool
	stop     chan struct{} // closed when the router stops
	// active counts INVITE handlers and calls, so that Run returns only
	// after each ended. Add happens under mu while !stopping.
	active sync.WaitGroup
}

// legRef names one leg of a call in the dialog table.
type legRef struct {
	c    *call
	side Side
	f    *fork // the callee leg's fork, before the call is answered
}

// New validates cfg, builds the B2BUA's user agent and binds its socket.
// Call Run to serve; Close releases the socket when Run never runs.
func New(cfg Config, deps Deps, logger *slog.Logger) (*Router, error) {
	if deps.Directory == nil || deps.Bindings == nil || deps.Media == nil || deps.Store == nil || deps.Events == nil {
		return nil, errors.New("calls: directory, bindings, media, store and events are required")
	}
	if logger == nil {
		return nil, errors.New("calls: logger is nil")
	}
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("calls: config: %w", err)
	}
	algs, _ := sipdigest.Algorithms(cfg.Challenges) // validated
	r := &Router{
		algs:     algs,
		cfg:      cfg,
		log:      logger.With("component", "calls"),
		deps:     deps,
		nonces:   sipdigest.NewNonces(cfg.NonceSecret, cfg.NonceLifetime),
		bySource: sipdigest.NewLimiter(cfg.SourceFailureLimit, cfg.FailureWindow, cfg.BlockFor, maxTracked),
		byDevice: sipdigest.NewLimiter(cfg.FailureLimit, cfg.FailureWindow, cfg.BlockFor, maxTracked),
		trunkSrc: map[string]bool{},
		dialogs:  map[string]legRef{},
		stop:     make(chan struct{}),
	}
	if cfg.Trunk.Address != "" {
		host, port, _ := sip.ParseAddr(cfg.Trunk.Address)
		r.trunkHost, r.trunkPort = host, port
		for _, s := range cfg.Trunk.Sources {
			r.trunkSrc[s] = true
		}
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	r.log.Info("calls configured", cfg.logAttrs()...)
	return r, nil
}

// open binds the socket and builds the user agent on it, or takes the
// node's client when there is a node.
func (r *Router) open() error {
	if r.deps.Node != nil {
		r.cli = r.deps.Node.Client()
		if r.cli == nil {
			return errors.New("calls: node has no client")
		}
		return nil
	}
	ap, err := netip.ParseAddrPort(r.cfg.Bind)
	if err != nil || ap.Addr().IsUnspecified() {
		return fmt.Errorf("calls: bind %q: want an address and port (not an unspecified address: it goes into Via headers)", r.cfg.Bind)
	}
	var lc net.ListenConfig
	conn, err := lc.ListenPacket(context.Background(), "udp", r.cfg.Bind)
	if err != nil {
		return fmt.Errorf("calls: listen udp %s: %w", r.cfg.Bind, err)
	}
	r.conn = conn
	r.via = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	log := r.log.With("layer", "sipgo")
	r.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(r.cfg.UserAgent),
		sipgo.WithUserAgentHostname(r.cfg.Realm),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log),
			sip.WithTransactionLayerUnhandledResponseHandler(r.strayResponse)),
	)
	if err == nil {
		r.srv, err = sipgo.NewServer(r.ua, sipgo.WithServerLogger(log))
	}
	if err == nil {
		r.cli, err = sipgo.NewClient(r.ua, sipgo.WithClientLogger(log))
	}
	if err != nil {
		_ = conn.Close()
		if r.ua != nil {
			_ = r.ua.Close()
		}
		return fmt.Errorf("calls: user agent: %w", err)
	}
	// Requests that reach this socket rather than the node's (a peer that
	// sends to our Via) are handled the same way.
	for _, m := range Methods {
		r.srv.OnRequest(m, r.ServeSIP)
	}
	// The socket serves from now on, so that requests can go out of it
	// before Run: sipgo sends from a socket only once it serves it. Run
	// or Close stops it.
	r.served = make(chan error, 1)
	go func() { r.served <- r.srv.ServeUDP(conn) }()
	if err := serving(r.ua, r.via.String()); err != nil {
		_ = conn.Close()
		<-r.served
		_ = r.ua.Close()
		return fmt.Errorf("calls: %w", err)
	}
	return nil
}

// serving waits (briefly) until sipgo serves the socket at addr.
func serving(ua *sipgo.UserAgent, addr string) error {
	for range 1000 {
		if c, err := ua.TransportLayer().GetConnection("udp", addr); err == nil {
			_, _ = c.TryClose() // GetConnection took a reference
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("socket %s not served", addr)
}

// Addr is the address requests leave from: the B2BUA's own socket, or
// the node's UDP socket.
func (r *Router) Addr() net.Addr {
	if r.conn == nil {
		return r.deps.Node.UDPAddr()
	}
	return r.conn.LocalAddr()
}

// Active is the number of calls being set up or in progress.
func (r *Router) Active() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[*call]bool{}
	for _, l := range r.dialogs {
		seen[l.c] = true
	}
	return len(seen)
}

// Run serves the B2BUA's socket until ctx ends, then ends every call:
// callers still ringing get 503, forks still ringing get CANCEL,
// answered calls get BYE on both legs (each bounded by Config.Hangup),
// and their records and hangup events are written. It returns when all
// of that is done.
//
// The node hands requests to the router while it serves; Run's context
// must end before the node's does, so that the router's answers and
// requests still go out while calls end (the local stack cancels the
// node's context when Run returns).
func (r *Router) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.ran {
		r.mu.Unlock()
		return errStopped
	}
	r.ran = true
	r.mu.Unlock()

	served := r.served
	r.log.Info("calls serving", "addr", addrString(r.Addr()))
	tick := time.NewTicker(r.cfg.FailureWindow)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-served:
			served <- nil
			err = fmt.Errorf("calls: serve udp: %w", errOr(err, errors.New("socket closed")))
			break loop
		case <-tick.C:
			now := r.cfg.Clock()
			r.bySource.Prune(now)
			r.byDevice.Prune(now)
		}
	}
	r.mu.Lock()
	r.stopping = true
	close(r.stop)
	r.mu.Unlock()
	r.active.Wait()
	if r.conn != nil {
		_ = r.conn.Close()
		<-served
		if cerr := r.ua.Close(); cerr != nil {
			r.log.Debug("calls user agent closed with error", "error", cerr.Error())
		}
	}
	r.log.Info("calls stopped")
	return err
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// Close releases the socket and user agent of a router whose Run never
// ran. It is safe to call more than once and after Run.
func (r *Router) Close() error {
	r.mu.Lock()
	ran := r.ran
	r.ran = true
	r.mu.Unlock()
	if ran || r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	<-r.served
	return errors.Join(err, r.ua.Close())
}

// enter admits an INVITE handler or a call; the caller must call
// r.active.Done when it ends.
func (r *Router) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return false
	}
	r.active.Add(1)
	return true
}

// ServeSIP answers one request inside its server transaction; it has the
// shape of the node's handlers (node.Handler). An INVITE handler returns
// when the call is answered or has failed; the call then goes on in the
// router's own goroutine.
func (r *Router) ServeSIP(req *sip.Request, tx sip.ServerTransaction) {
	switch req.Method {
	case sip.INVITE:
		if tags(req).to != "" {
			r.inDialog(req, tx)
			return
		}
		if !r.enter() {
			r.respond(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		defer r.active.Done()
		r.invite(req, tx)
	case sip.ACK:
		r.ack(req)
	case sip.BYE, sip.INFO:
		r.inDialog(req, tx)
	default:
		r.respond(tx, req, sip.StatusMethodNotAllowed, "Method Not Allowed",
			sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, INFO"))
	}
}

// strayResponse sees responses no transaction of ours matched: mostly
// retransmitted 2xx of a callee whose INVITE transaction is over, which
// each get an ACK again from the call's dialog.
// Stray handles a response that matched no client transaction; it has
// the shape of the node's Config.Stray.
func (r *Router) Stray(res *sip.Response) { r.strayResponse(res) }

func (r *Router) strayResponse(res *sip.Response) {
	if !res.IsSuccess() {
		return
	}
	cseq, id := res.CSeq(), res.CallID()
	if cseq == nil || id == nil || cseq.MethodName != sip.INVITE {
		return
	}
	r.mu.Lock()
	l, ok := r.dialogs[id.Value()]
	r.mu.Unlock()
	if ok && l.side == Callee {
		l.c.reack(res)
	}
}

// respond answers req with a response carrying the Server header and the
// extra headers. A failure to send is logged: the transaction is over
// either way.
func (r *Router) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, extra ...sip.Header) {
	r.send(tx, r.response(req, code, reason, nil, extra...))
}

func (r *Router) response(req *sip.Request, code int, reason string, body []byte, extra ...sip.Header) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
	res.RemoveHeader("Content-Length")
	for _, h := range extra {
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Server", r.cfg.UserAgent))
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.SetBody(body)
	return res
}

func (r *Router) send(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil && r.log.Enabled(context.Background(), slog.LevelDebug) {
		r.log.Debug("sip response not sent", "status", res.StatusCode, "error", err.Error())
	}
}

// tagged is a request or response: what carries From and To.
type tagged interface {
	From() *sip.FromHeader
	To() *sip.ToHeader
}

// tagPair holds the From and To tags of a message ("" where absent).
type tagPair struct{ from, to string }

func tags(m tagged) tagPair {
	var t tagPair
	if h := m.From(); h != nil {
		t.from, _ = h.Params.Get("tag")
	}
	if h := m.To(); h != nil {
		t.to, _ = h.Params.Get("tag")
	}
	return t
}
