package calls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// dialog is one of the two SIP dialogs of a call, as the B2BUA holds it
// (RFC 3261 section 12): toward the caller the B2BUA is the UAS, toward
// the callee the UAC. It builds the requests the B2BUA sends inside the
// dialog and checks the ones it receives.
type dialog struct {
	callID string
	// local is the B2BUA's side (the From of requests it sends, with its
	// tag), remote the phone's (their To, with the phone's tag).
	local  sip.FromHeader
	remote sip.ToHeader
	// target is the phone's Contact, the Request-URI of requests to it.
	target sip.Uri
	// routes are the Route values for requests, from Record-Route.
	routes []string
	// dest is the host:port requests go to, and transport how.
	dest      string
	transport string
	// contact is the B2BUA's Contact in this dialog: the node's address,
	// so that the phone's requests reach the node.
	contact sip.ContactHeader

	mu        sync.Mutex
	localSeq  uint32
	remoteSeq uint32
	sdp       []byte // the session description last sent to the phone
}

// request builds a request inside the dialog. ACK and CANCEL are built
// elsewhere; every other method takes the next local CSeq.
func (d *dialog) request(method sip.RequestMethod, body []byte, contentType string) *sip.Request {
	d.mu.Lock()
	d.localSeq++
	seq := d.localSeq
	d.mu.Unlock()
	return d.build(method, seq, body, contentType)
}

// ackFor builds the ACK for a 2xx to the request with CSeq number seq
// (RFC 3261 section 13.2.2.4).
func (d *dialog) ackFor(seq uint32) *sip.Request {
	return d.build(sip.ACK, seq, nil, "")
}

func (d *dialog) build(method sip.RequestMethod, seq uint32, body []byte, contentType string) *sip.Request {
	req := sip.NewRequest(method, *d.target.Clone())
	req.SipVersion = "SIP/2.0"
	from := d.local
	from.Params = from.Params.Clone()
	to := d.remote
	to.Params = to.Params.Clone()
	id := sip.CallIDHeader(d.callID)
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	req.AppendHeader(&id)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.AppendHeader(&maxFwd)
	for _, r := range d.routes {
		req.AppendHeader(sip.NewHeader("Route", r))
	}
	if method == sip.INVITE {
		c := d.contact
		req.AppendHeader(&c)
	}
	if contentType != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	}
	req.SetBody(body)
	req.SetTransport(d.transport)
	req.SetDestination(d.dest)
	return req
}

// receive checks the CSeq of a request the phone sent in the dialog: it
// must rise (RFC 3261 section 12.2.2). ACK repeats its INVITE's number.
func (d *dialog) receive(req *sip.Request) bool {
	seq := req.CSeq().SeqNo
	d.mu.Lock()
	defer d.mu.Unlock()
	if req.IsAck() {
		return true
	}
	if seq <= d.remoteSeq {
		return false
	}
	d.remoteSeq = seq
	return true
}

// matches reports whether a request the phone sent belongs to this
// dialog: the phone's tag is in From, ours in To.
func (d *dialog) matches(t tagPair) bool {
	local, _ := d.local.Params.Get("tag")
	remote, _ := d.remote.Params.Get("tag")
	return t.to == local && t.from == remote
}

// setSDP and lastSDP keep the session description last sent on the leg.
func (d *dialog) setSDP(b []byte) {
	d.mu.Lock()
	d.sdp = b
	d.mu.Unlock()
}

func (d *dialog) lastSDP() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sdp
}

// uasDialog is the caller's dialog, from the INVITE the B2BUA answers
// with localTag (RFC 3261 section 12.1.1). reuse sends TCP requests to
// where the caller's come from (see sendTo).
func uasDialog(req *sip.Request, localTag string, contact sip.ContactHeader, reuse bool) *dialog {
	to := req.To()
	from := req.From()
	d := &dialog{
		callID:    req.CallID().Value(),
		local:     sip.FromHeader{DisplayName: to.DisplayName, Address: *to.Address.Clone(), Params: to.Params.Clone()},
		remote:    sip.ToHeader{DisplayName: from.DisplayName, Address: *from.Address.Clone(), Params: from.Params.Clone()},
		target:    *req.Contact().Address.Clone(),
		transport: req.Transport(),
		contact:   contact,
		localSeq:  1,
		remoteSeq: req.CSeq().SeqNo,
	}
	d.local.Params.Add("tag", localTag)
	for _, h := range req.GetHeaders("Record-Route") {
		d.routes = append(d.routes, h.Value())
	}
	d.dest = sendTo(d.target, d.routes, req.Source(), d.transport, reuse)
	return d
}

// uacDialog is the callee's dialog, from the INVITE the B2BUA sent and
// the 2xx that answered it (RFC 3261 section 12.1.2). dest is where the
// INVITE went; reuse sends TCP requests there too (see sendTo).
func uacDialog(req *sip.Request, res *sip.Response, dest string, contact sip.ContactHeader, reuse bool) (*dialog, error) {
	c := res.Contact()
	if c == nil || res.To() == nil {
		return nil, errors.New("2xx without Contact or To")
	}
	to := res.To()
	from := req.From()
	d := &dialog{
		callID:    req.CallID().Value(),
		local:     sip.FromHeader{DisplayName: from.DisplayName, Address: *from.Address.Clone(), Params: from.Params.Clone()},
		remote:    sip.ToHeader{DisplayName: to.DisplayName, Address: *to.Address.Clone(), Params: to.Params.Clone()},
		target:    *c.Address.Clone(),
		transport: req.Transport(),
		contact:   contact,
		localSeq:  req.CSeq().SeqNo,
	}
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		d.routes = append(d.routes, rr[i].Value())
	}
	d.dest = sendTo(d.target, d.routes, dest, d.transport, reuse)
	return d, nil
}

// sendTo is where requests of a dialog go: to the first route when
// there is a route set, else over UDP to where the phone's messages come
// from (its NAT's mapping, RFC 3581), else to its Contact. With reuse,
// a TCP request goes to where the phone's messages come from as well:
// the node sends it over the connection the phone opened, which is the
// only way to reach a phone behind NAT over TCP.
func sendTo(target sip.Uri, routes []string, source, transport string, reuse bool) string {
	if len(routes) > 0 {
		var u sip.Uri
		params := sip.NewParams()
		if _, err := sip.ParseAddressValue(routes[0], &u, &params); err == nil && u.Host != "" {
			return hostPort(u)
		}
	}
	if source != "" && (strings.EqualFold(transport, "udp") || reuse && strings.EqualFold(transport, "tcp")) {
		return source
	}
	return hostPort(target)
}

// hostPort is a URI's host and port, the SIP default port when it has
// none.
func hostPort(u sip.Uri) string {
	port := u.Port
	if port == 0 {
		port = 5060
	}
	return net.JoinHostPort(strings.Trim(u.Host, "[]"), strconv.Itoa(port))
}

// noBuild stops sipgo's client from adding headers: the B2BUA builds its
// requests whole.
func noBuild(*sipgo.Client, *sip.Request) error { return nil }

// stamp gives a request the B2BUA sends a Via of the socket it leaves
// from and, for UDP, sends it from that socket: the B2BUA's own, or the
// node's. A TCP request through the node takes the connection to its
// destination, and sipgo fills the Via from that connection.
func (r *Router) stamp(req *sip.Request) {
	req.RemoveHeader("Via")
	via := &sip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: strings.ToUpper(req.Transport()),
		Params: sip.NewParams(),
	}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	local, ok := r.local()
	switch {
	case r.cfg.Advertise.IsValid():
		// Behind one-to-one NAT: the phone answers to the public address,
		// on the port of the socket the request leaves from (UDP) or the
		// standard one (TCP answers return on the connection anyway).
		via.Host = r.cfg.Advertise.String()
	case r.deps.Node == nil:
		via.Host = local.Addr().String()
	case ok && !strings.EqualFold(req.Transport(), "tcp") && !local.Addr().IsUnspecified():
		via.Host = local.Addr().String()
	}
	if ok && strings.EqualFold(req.Transport(), "udp") {
		if via.Host != "" {
			via.Port = int(local.Port())
		}
		req.Laddr = sip.Addr{IP: local.Addr().AsSlice(), Port: int(local.Port())}
	}
	req.PrependHeader(via)
}

// local is the UDP socket requests leave from.
func (r *Router) local() (netip.AddrPort, bool) {
	if r.deps.Node == nil {
		return r.via, true
	}
	a, ok := r.deps.Node.UDPAddr().(*net.UDPAddr)
	if !ok || a == nil {
		return netip.AddrPort{}, false
	}
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// transact sends a request (not an ACK) in a client transaction.
func (r *Router) transact(req *sip.Request) (sip.ClientTransaction, error) {
	if req.Via() == nil {
		r.stamp(req)
	}
	if req.GetHeader("User-Agent") == nil {
		req.AppendHeader(sip.NewHeader("User-Agent", r.cfg.UserAgent))
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Hangup)
	defer cancel()
	tx, err := r.cli.TransactionRequest(ctx, req, noBuild)
	if err != nil {
		return nil, fmt.Errorf("send %s: %w", req.Method, err)
	}
	return tx, nil
}

// write sends an ACK, which has no transaction.
func (r *Router) write(req *sip.Request) error {
	r.stamp(req)
	return r.cli.WriteRequest(req, noBuild)
}

// do sends a request and waits for its final response, at most limit,
// or until stop is closed (nil: no stop).
func (r *Router) do(req *sip.Request, limit time.Duration, stop <-chan struct{}) (*sip.Response, error) {
	tx, err := r.transact(req)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return res, nil
		case <-tx.Done():
			return nil, errOr(tx.Err(), errors.New("transaction ended"))
		case <-t.C:
			return nil, fmt.Errorf("%s: no final response within %v", req.Method, limit)
		case <-stop:
			return nil, fmt.Errorf("%s: router stopping", req.Method)
		}
	}
}
