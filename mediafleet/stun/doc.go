// Package stun is the fleet's STUN binding server (RFC 5389) on UDP.
//
// Phones behind NAT send it a Binding Request to learn the public address
// and port their packets arrive from, which they then put into their SIP
// Contact and SDP. The server answers each valid Binding Request with a
// Binding Success Response that carries the sender's address as
// XOR-MAPPED-ADDRESS and, for old clients, MAPPED-ADDRESS, plus SOFTWARE and
// FINGERPRINT. Everything else it receives (other protocols, other STUN
// methods or classes, truncated or corrupted messages) is dropped without an
// answer, so the port cannot be used to reflect traffic at a third party
// with anything but a small Binding answer to a well-formed request.
//
// A request that carries a comprehension-required attribute the server does
// not understand gets a 420 (Unknown Attribute) error response, as RFC 5389
// section 7.3.1 demands; this keeps RFC 5780 NAT-behaviour probes
// (CHANGE-REQUEST) from drawing wrong conclusions.
//
// It is not a TURN server, does no authentication (no credentials exist for
// it) and does not multiplex with RTP: media runs on its own ports.
//
// The caller binds first and serves afterwards, so it can learn the bound
// address (port 0 in tests) before any traffic flows:
//
//	srv, err := stun.New(stun.Config{Addr: "0.0.0.0:10000"}, logger)
//	if err := srv.Listen(ctx); err != nil { ... }
//	logger.Info("stun listening", "addr", srv.Addr())
//	err = srv.Serve(ctx) // returns when ctx is cancelled
//
// The packet path allocates nothing: one read buffer and one pair of
// messages are reused by the single read loop.
package stun
