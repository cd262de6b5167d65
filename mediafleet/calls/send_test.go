package calls

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// tcpPhone is a phone registered over a TCP connection it opened to the
// node. It listens on no port of its own, so a request reaches it only
// over that connection; it answers every INVITE with 486.
type tcpPhone struct {
	id      string
	invites chan *sip.Request
}

// newTCPPhone registers phone n over TCP.
func (e *env) newTCPPhone(n int) *tcpPhone {
	t := e.t
	t.Helper()
	log := testlog.New(t)
	p := &tcpPhone{id: device(n), invites: make(chan *sip.Request, 8)}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone-"+p.id),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		select {
		case p.invites <- req:
		default:
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
	})
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	nodeAddr := netip.MustParseAddrPort(e.node.TCPAddr().String())
	tcpParam := sip.NewParams()
	tcpParam.Add("transport", "tcp")
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: nodeAddr.Addr().String(), Port: int(nodeAddr.Port()),
		UriParams: tcpParam})
	req.SetTransport("TCP")
	aor := sip.Uri{Scheme: "sip", User: p.id, Host: testRealm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	// The Contact names a port nothing listens on, as a phone behind NAT
	// would: only its connection leads to it.
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.id, Host: "127.0.0.1", Port: 9,
		UriParams: tcpParam.Clone()}})
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := cli.Do(ctx, req)
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.id, Password: password(n)})
	}
	if err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("phone %s: register over tcp: %v %v", p.id, err, res)
	}
	return p
}

// TestRequestsLeaveFromTheNode: the B2BUA's INVITEs to callees leave
// from the node's sockets. The UDP phone sees them come from the node's
// SIP port, the one it registered to (all a NAT lets through), and the
// TCP phone gets its INVITEs on the connection it registered on.
func TestRequestsLeaveFromTheNode(t *testing.T) {
	e := newEnv(t, options{})
	caller, udp := e.newPhone(0), e.newPhone(1)
	caller.register()
	udp.register()
	tcp := e.newTCPPhone(2)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// Twice: the TCP phone's connection outlives the first INVITE's
	// transaction and carries the second.
	for range 2 {
		done := make(chan error, 1)
		go func() {
			s, err := caller.call(ctx, "11")
			if err == nil {
				_ = s.Bye(ctx)
			}
			done <- err
		}()

		inv := udp.next("invite")
		if got, want := inv.Source(), e.node.UDPAddr().String(); got != want {
			t.Errorf("UDP phone: INVITE from %s, want the node's SIP socket %s", got, want)
		}
		select {
		case inv := <-tcp.invites:
			if got, want := inv.Source(), e.node.TCPAddr().String(); got != want {
				t.Errorf("TCP phone: INVITE from %s, want the node's listening address %s", got, want)
			}
			if !strings.EqualFold(inv.Transport(), "tcp") {
				t.Errorf("TCP phone: INVITE over %s", inv.Transport())
			}
		case <-ctx.Done():
			t.Fatal("TCP phone: no INVITE")
		}
		udp.next("answered")
		if err := <-done; err != nil {
			t.Fatalf("call: %v", err)
		}
		udp.next("bye")
	}
}
