// Package node is the SIP front of one fleet node: it owns the node's UDP
// and TCP SIP sockets and the sipgo user agent behind them, and dispatches
// each incoming request to the handler for its method. Client lends its
// user agent to the call router, so that the requests the router sends
// leave from the node's sockets.
//
// The handlers live in one method table (routes.go): the node answers
// OPTIONS itself (200 with Allow, Accept and Server, so phones, trunks and
// load balancers can probe the node), and the handlers the caller passes in
// Config.Routes (the registrar's REGISTER, the call router's INVITE, BYE
// and CANCEL) are mounted after it. A method without a handler is
// answered 501 Not Implemented, an unmatched CANCEL 481, a request of
// another SIP version than 2.0 gets 505, and an ACK never gets an answer
// (RFC 3261 section 17). Malformed messages are dropped by
// sipgo's parser before they reach the table (a request it can parse but
// cannot match to a transaction gets a stateless 400 from sipgo).
//
// The node reads its UDP socket itself, with several goroutines and a
// large receive buffer (udp.go). REGISTER and OPTIONS, and the methods of
// routes marked Stateless, are answered right in the reader without a
// sipgo server transaction; their final answers are kept for a while and
// sent again when the request is retransmitted (stateless.go). Every other
// datagram goes to sipgo's UDP transport unchanged, and TCP is sipgo's
// alone.
//
// The package is not the registrar, the B2BUA or the media relay, and it
// knows nothing of accounts or devices; those come with the handlers.
//
// The caller binds first and serves afterwards, so it can learn the bound
// addresses (port 0 in tests) before any traffic flows:
//
//	n, err := node.New(node.Config{UDPAddr: "0.0.0.0:5060", TCPAddr: "0.0.0.0:5060",
//		Domain: "switchboard.local", UserAgent: "Switchboard"}, logger)
//	if err := n.Listen(ctx); err != nil { ... }
//	logger.Info("sip listening", "udp", n.UDPAddr(), "tcp", n.TCPAddr())
//	err = n.Serve(ctx) // returns when ctx is cancelled
package node
