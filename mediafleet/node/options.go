package node

import "github.com/emiago/sipgo/sip"

// options answers OPTIONS (RFC 3261 section 11) with what the node
// accepts, so phones, trunks and health checks can probe it. It answers
// for the node as a whole, whatever user the Request-URI names.
func (n *Node) options(req *sip.Request, tx sip.ServerTransaction) {
	n.respond(req, tx, sip.StatusOK, "OK",
		sip.NewHeader("Allow", n.allow),
		sip.NewHeader("Accept", "application/sdp"),
	)
}
