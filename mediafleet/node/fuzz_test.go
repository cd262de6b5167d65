package node

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// FuzzStatelessUDP feeds datagrams to the node's UDP front as its socket
// readers do: a REGISTER or OPTIONS is parsed and answered right there,
// anything else is left for sipgo. No input may crash a reader, and what
// serve declines must be what sipgo gets.
func FuzzStatelessUDP(f *testing.F) {
	local := netip.MustParseAddrPort("127.0.0.1:5060")
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, seed := range []string{
		rawRequest("REGISTER", "UDP", net.UDPAddrFromAddrPort(from), net.UDPAddrFromAddrPort(local), "fuzz", 1),
		rawRequest("OPTIONS", "UDP", net.UDPAddrFromAddrPort(from), net.UDPAddrFromAddrPort(local), "fuzz", 2),
		"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;rport;branch=z9hG4bK1\r\nContent-Length: 99999\r\n\r\n",
		"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP [::1\r\nCSeq: 1 INVITE\r\n\r\n",
		"OPTIONS  SIP/2.0\r\n\r\n",
		"REGISTER " + strings.Repeat("a", 70000),
		"SIP/2.0 200 OK\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	n := &Node{log: testlog.New(f)}
	answer := func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	}
	front := newUDPFront(conn, n, map[string]Handler{"REGISTER": answer, "OPTIONS": answer})
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &stateless{front: front}
		if h := front.statelessRoute(data); h != nil {
			st.serve(h, data, from)
		}
	})
}
