package calls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// How a test phone (or the test trunk) answers an INVITE.
type answerMode int

const (
	answerNow   answerMode = iota // 180, then 200 with SDP
	ringForever                   // 180, then wait for CANCEL
	busy                          // 486
	decline                       // 603
)

// incoming is something that happened to a phone: an INVITE it got
// ("invite"), a CANCEL of one ("cancel"), its answer confirmed by ACK
// ("answered"), a BYE ("bye"), a re-INVITE ("reinvite"), an INFO ("info").
type incoming struct {
	kind string
	req  *sip.Request
}

// testPhone is a softphone made of sipgo: it registers through the
// registrar, places calls through the B2BUA with digest authentication,
// and answers calls as its mode says. Its media socket counts RTP that
// arrives.
type testPhone struct {
	t        testing.TB
	e        *env
	id, pass string
	ua       *sipgo.UserAgent
	cli      *sipgo.Client
	addr     netip.AddrPort // SIP, UDP
	rtp      *net.UDPConn
	contact  sip.ContactHeader
	uas      *sipgo.DialogServerCache
	uac      *sipgo.DialogClientCache
	seen     chan incoming

	mu       sync.Mutex
	mode     answerMode
	answered *sipgo.DialogServerSession // the last call the phone answered
	statuses []int                      // responses to the phone's INVITEs
}

// answeredDialog is the last call the phone answered; call it after
// next("answered").
func (p *testPhone) answeredDialog() *sipgo.DialogServerSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answered
}

// newPhone starts phone n of the fixture account on loopback. It does not
// register; call register.
func (e *env) newPhone(n int) *testPhone {
	return e.newPhoneAs(device(n), password(n))
}

func (e *env) newPhoneAs(id, pass string) *testPhone {
	t := e.t
	t.Helper()
	log := testlog.New(t)
	p := &testPhone{t: t, e: e, id: id, pass: pass, seen: make(chan incoming, 64)}
	var err error
	p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("phone-"+id),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if p.rtp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	p.cli, err = sipgo.NewClient(p.ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"),
		sipgo.WithClientConnectionAddr(p.addr.String()))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(p.ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	p.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: id, Host: "127.0.0.1", Port: int(p.addr.Port())}}
	p.uas = sipgo.NewDialogServerCache(p.cli, p.contact)
	p.uac = sipgo.NewDialogClientCache(p.cli, p.contact)
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.uas.ReadAck(req, tx) })
	srv.OnBye(p.onBye)
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		p.note("info", req)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(conn)
	}()
	if err := serving(p.ua, p.addr.String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		<-served
		_ = p.ua.Close()
		_ = p.rtp.Close()
	})
	return p
}

func (p *testPhone) setMode(m answerMode) {
	p.mu.Lock()
	p.mode = m
	p.mu.Unlock()
}

func (p *testPhone) note(kind string, req *sip.Request) {
	select {
	case p.seen <- incoming{kind: kind, req: req}:
	default:
	}
}

// next waits for the phone's next incoming of kind, skipping others.
func (p *testPhone) next(kind string) *sip.Request {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case in := <-p.seen:
			if in.kind == kind {
				return in.req
			}
		case <-deadline:
			p.t.Fatalf("phone %s: no %s", p.id, kind)
			return nil
		}
	}
}

// quiet reports whether nothing of kind arrived: it drains what is
// queued, without waiting.
func (p *testPhone) quiet(kind string) bool {
	for {
		select {
		case in := <-p.seen:
			if in.kind == kind {
				return false
			}
		default:
			return true
		}
	}
}

// sdp is the phone's offer or answer: PCMU, PCMA and telephone-event on
// its media socket.
func (p *testPhone) sdp(direction string) []byte {
	port := p.rtp.LocalAddr().(*net.UDPAddr).Port
	return []byte(fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=%s\r\n", port, direction))
}

func (p *testPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if tags(req).to != "" {
		p.note("reinvite", req)
		res := sip.NewSDPResponseFromRequest(req, p.sdp("sendrecv"))
		res.AppendHeader(&p.contact)
		_ = tx.Respond(res)
		return
	}
	p.note("invite", req)
	p.mu.Lock()
	mode := p.mode
	p.mu.Unlock()
	switch mode {
	case busy:
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
		return
	case decline:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 603, "Decline", nil))
		return
	}
	d, err := p.uas.ReadInvite(req, tx)
	if err != nil {
		p.t.Errorf("phone %s: read invite: %v", p.id, err)
		return
	}
	_ = d.Respond(sip.StatusRinging, "Ringing", nil)
	if mode == ringForever {
		select {
		case <-d.Context().Done():
			p.note("cancel", req)
		case <-time.After(3 * wait):
		}
		return
	}
	if err := d.RespondSDP(p.sdp("sendrecv")); err != nil {
		select {
		case <-d.Context().Done():
			p.note("cancel", req)
		default:
			p.note("answer-failed", req)
		}
		return
	}
	p.mu.Lock()
	p.answered = d
	p.mu.Unlock()
	p.note("answered", req)
}

func (p *testPhone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	p.note("bye", req)
	if err := p.uas.ReadBye(req, tx); err == nil {
		return
	}
	if err := p.uac.ReadBye(req, tx); err == nil {
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
}

// register binds the phone's contact with digest authentication.
func (p *testPhone) register() {
	p.t.Helper()
	req := sip.NewRequest(sip.REGISTER, p.e.nodeURI(""))
	aor := sip.Uri{Scheme: "sip", User: p.id, Host: testRealm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&p.contact)
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.id, Password: p.pass})
	}
	if err != nil || res.StatusCode != sip.StatusOK {
		p.t.Fatalf("phone %s: register: %v %v", p.id, err, res)
	}
}

// call dials target through the node and waits for the answer. The
// answer's error (a *sipgo.ErrDialogResponse for a final failure) is
// returned with the session; headers go into the INVITE.
func (p *testPhone) call(ctx context.Context, target string, headers ...sip.Header) (*sipgo.DialogClientSession, error) {
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.id, Host: testRealm}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	ct := sip.ContentTypeHeader("application/sdp")
	headers = append([]sip.Header{from, &ct}, headers...)
	s, err := p.uac.Invite(ctx, p.e.nodeURI(target), p.sdp("sendrecv"), headers...)
	if err != nil {
		return nil, err
	}
	seen := func(res *sip.Response) error {
		p.mu.Lock()
		p.statuses = append(p.statuses, res.StatusCode)
		p.mu.Unlock()
		return nil
	}
	if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.id, Password: p.pass, OnResponse: seen}); err != nil {
		return s, err
	}
	return s, s.Ack(ctx)
}

// status is the final status of a failed call, 0 for none.
func status(err error) int {
	var re *sipgo.ErrDialogResponse
	if errors.As(err, &re) {
		return re.Res.StatusCode
	}
	return 0
}

// relayAddr is the RTP address in an answer's SDP.
func relayAddr(t testing.TB, body []byte) netip.AddrPort {
	t.Helper()
	info, err := parseSDP(body)
	if err != nil {
		t.Fatalf("answer SDP: %v\n%s", err, body)
	}
	return info.Addr
}
