package node

import (
	"context"
	"log/slog"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Handler answers one request inside its server transaction. sipgo calls it
// on a goroutine of its own per request and ends the transaction (or leaves
// it to its retransmission timers) when it returns. Serve waits for running
// handlers before it closes the user agent, so a handler that blocks (an
// INVITE waiting for an answer) must return promptly once the node stops.
//
// The node has already turned away other SIP versions and requests that
// arrive while it stops; the handler sends the final response itself.
type Handler func(req *sip.Request, tx sip.ServerTransaction)

// Route binds a SIP method to the handler that answers it.
type Route struct {
	Method sip.RequestMethod
	Handle Handler
	// Stateless answers the method's requests that arrive over UDP
	// without a sipgo server transaction (RFC 3261 section 8.2.7): the
	// node's socket reader runs the handler, sends its answer and keeps
	// the final answer for retransmissions of the request. The handler
	// must answer before it returns, must not block and must not keep tx;
	// tx.Acks is nil and tx.Done is closed. Not for INVITE, ACK or
	// CANCEL. Requests over TCP always get a server transaction.
	//
	// OPTIONS (the node's own) and REGISTER are always stateless: a
	// registrar answers at once from memory, and registrations are the
	// bulk of a node's UDP traffic.
	Stateless bool
}

// statelessMethod reports whether a method's UDP requests are answered
// statelessly whatever its route says.
func statelessMethod(m sip.RequestMethod) bool { return m == sip.OPTIONS || m == sip.REGISTER }

// routes is the node's method table, the one place where a method gets a
// handler: OPTIONS, which the node answers itself, then Config.Routes (the
// registrar's REGISTER; the call router's INVITE, ACK, BYE and CANCEL).
// The Allow header lists these methods in this order.
func (n *Node) routes() []Route {
	return append([]Route{{Method: sip.OPTIONS, Handle: n.options}}, n.cfg.Routes...)
}

// mount registers the method table and the fallback with the sipgo server
// and derives the Allow header from the table.
func (n *Node) mount() {
	table := n.routes()
	methods := make([]string, 0, len(table))
	n.stateless = map[string]Handler{}
	for _, r := range table {
		h := n.dispatch(r.Handle)
		n.srv.OnRequest(r.Method, sipgo.RequestHandler(h))
		if r.Stateless || statelessMethod(r.Method) {
			n.stateless[string(r.Method)] = h
		}
		methods = append(methods, r.Method.String())
	}
	n.allow = strings.Join(methods, ", ")
	n.srv.OnNoRoute(sipgo.RequestHandler(n.dispatch(n.unrouted)))
}

// unrouted answers a request whose method has no handler.
func (n *Node) unrouted(req *sip.Request, tx sip.ServerTransaction) {
	switch req.Method {
	case sip.ACK:
		// An ACK is never answered (RFC 3261 section 17); without
		// an INVITE handler there is no dialog for it to confirm.
	case sip.CANCEL:
		// sipgo hands a CANCEL that matches a pending INVITE to that
		// INVITE's transaction; one that gets here matched nothing
		// (RFC 3261 section 9.2).
		n.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	default:
		n.respond(req, tx, sip.StatusNotImplemented, "Not Implemented",
			sip.NewHeader("Allow", n.allow))
	}
}

// sipVersion is the only protocol version the node speaks.
const sipVersion = "SIP/2.0"

// connectioner is the part of sipgo's server transaction that names the
// connection its answer goes out on.
type connectioner interface {
	Connection() sip.Connection
}

// dispatch wraps every handler of the table. It admits the request only
// while the node runs, logs it at debug level and turns away other SIP
// versions, which sipgo's parser accepts, before the handler runs.
func (n *Node) dispatch(h Handler) Handler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !n.admit() {
			// The node is stopping. If the socket the request came in on
			// is already closed, sipgo has just opened a new connection
			// to carry the answer; close it, or it would outlive Serve.
			// (For the UDP listener this is a no-op.)
			if c, ok := tx.(connectioner); ok && c.Connection() != nil {
				_ = c.Connection().Close()
			}
			return
		}
		defer n.active.Done()

		// The guard keeps the arguments from being built when debug
		// logging is off.
		if n.log.Enabled(context.Background(), slog.LevelDebug) {
			n.log.Debug("sip request", "method", req.Method.String(), "transport", req.Transport(),
				"from", req.Source(), "call_id", callID(req))
		}
		if req.SipVersion != sipVersion {
			// RFC 3261 section 8.2.2; an ACK is still never answered.
			if !req.IsAck() {
				n.respond(req, tx, sip.StatusVersionNotSupported, "Version Not Supported")
			}
			return
		}
		h(req, tx)
	}
}

// respond answers req with a response that carries the node's Server
// header and the given extra headers. A failure to send is logged, not
// returned: the transaction is over either way, and for UDP the client's
// retransmission gets another chance.
func (n *Node) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, extra ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	// sipgo copies the request's version; ours is always SIP/2.0.
	res.SipVersion = sipVersion
	// Content-Length goes last, after the headers added here.
	res.RemoveHeader("Content-Length")
	res.AppendHeader(sip.NewHeader("Server", n.cfg.UserAgent))
	for _, h := range extra {
		res.AppendHeader(h)
	}
	res.SetBody(nil)
	if err := tx.Respond(res); err != nil {
		n.log.Warn("sip response not sent", "method", req.Method.String(), "status", code,
			"to", req.Source(), "call_id", callID(req), "error", err.Error())
		return
	}
	if n.log.Enabled(context.Background(), slog.LevelDebug) {
		n.log.Debug("sip response", "method", req.Method.String(), "status", code,
			"to", req.Source(), "call_id", callID(req))
	}
}

func callID(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}
