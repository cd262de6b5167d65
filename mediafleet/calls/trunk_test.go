package calls

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// trunkBehavior says how the test trunk answers calls.
type trunkBehavior struct {
	mode answerMode
	// username and password, when set, make the trunk challenge every
	// INVITE with 407 first, as carriers do.
	username, password string
}

const trunkRealm = "trunk.test"

// trunk is a SIP trunk made of sipgo: a UAS for calls going out, and a
// UAC for calls coming in, both on one UDP socket (its Address).
type trunk struct {
	t       testing.TB
	b       trunkBehavior
	addr    string
	ua      *sipgo.UserAgent
	cli     *sipgo.Client
	rtp     *net.UDPConn
	contact sip.ContactHeader
	uas     *sipgo.DialogServerCache
	uac     *sipgo.DialogClientCache
	invites chan *sip.Request // authenticated INVITEs (all, without auth)
	byes    chan *sip.Request

	answered chan *sipgo.DialogServerSession

	mu    sync.Mutex
	nonce int
}

// answeredCall waits for the next call the trunk answered.
func (tr *trunk) answeredCall() *sipgo.DialogServerSession {
	tr.t.Helper()
	select {
	case d := <-tr.answered:
		return d
	case <-time.After(wait):
		tr.t.Fatal("trunk answered no call")
	}
	return nil
}

func newTrunk(t testing.TB, b trunkBehavior) *trunk {
	t.Helper()
	log := testlog.New(t)
	tr := &trunk{t: t, b: b, invites: make(chan *sip.Request, 16), byes: make(chan *sip.Request, 16),
		answered: make(chan *sipgo.DialogServerSession, 16)}
	var err error
	if tr.ua, err = sipgo.NewUA(sipgo.WithUserAgent("trunk-test"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log))); err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr.addr = conn.LocalAddr().String()
	if tr.rtp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if tr.cli, err = sipgo.NewClient(tr.ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"),
		sipgo.WithClientConnectionAddr(tr.addr)); err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(tr.ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(tr.addr)
	tr.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "trunk", Host: "127.0.0.1", Port: int(ap.Port())}}
	tr.uas = sipgo.NewDialogServerCache(tr.cli, tr.contact)
	tr.uac = sipgo.NewDialogClientCache(tr.cli, tr.contact)
	srv.OnInvite(tr.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = tr.uas.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		tr.byes <- req
		if tr.uas.ReadBye(req, tx) != nil && tr.uac.ReadBye(req, tx) != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Gone", nil))
		}
	})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(conn)
	}()
	if err := serving(tr.ua, tr.addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		<-served
		_ = tr.ua.Close()
		_ = tr.rtp.Close()
	})
	return tr
}

func (tr *trunk) sdp() []byte {
	port := tr.rtp.LocalAddr().(*net.UDPAddr).Port
	return []byte(fmt.Sprintf("v=0\r\no=trunk 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n", port))
}

func (tr *trunk) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if tr.b.username != "" && !tr.authorized(req) {
		tr.mu.Lock()
		tr.nonce++
		nonce := fmt.Sprintf("trunk-nonce-%d", tr.nonce)
		tr.mu.Unlock()
		res := sip.NewResponseFromRequest(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required", nil)
		res.AppendHeader(sip.NewHeader("Proxy-Authenticate",
			`Digest realm="`+trunkRealm+`", nonce="`+nonce+`", algorithm=MD5, qop="auth"`))
		_ = tx.Respond(res)
		return
	}
	tr.invites <- req
	switch tr.b.mode {
	case busy:
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
		return
	case decline:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 603, "Decline", nil))
		return
	}
	d, err := tr.uas.ReadInvite(req, tx)
	if err != nil {
		tr.t.Errorf("trunk: read invite: %v", err)
		return
	}
	_ = d.Respond(sip.StatusRinging, "Ringing", nil)
	if tr.b.mode == ringForever {
		select {
		case <-d.Context().Done():
		case <-time.After(3 * wait):
		}
		return
	}
	if d.RespondSDP(tr.sdp()) == nil {
		tr.answered <- d
	}
}

// authorized checks the INVITE's Proxy-Authorization against the
// trunk's credentials.
func (tr *trunk) authorized(req *sip.Request) bool {
	h := req.GetHeader("Proxy-Authorization")
	if h == nil {
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != tr.b.username {
		return false
	}
	want, err := digest.Digest(&digest.Challenge{Realm: trunkRealm, Nonce: cred.Nonce, Algorithm: "MD5", QOP: []string{"auth"}},
		digest.Options{Method: "INVITE", URI: cred.URI, Username: tr.b.username, Password: tr.b.password,
			Cnonce: cred.Cnonce, Count: cred.Nc})
	return err == nil && want.Response == cred.Response
}

// call places a call from the trunk into the node: from is the caller's
// number as the trunk presents it, to the dialled number.
func (tr *trunk) call(ctx context.Context, e *env, from, to string) (*sipgo.DialogClientSession, error) {
	f := &sip.FromHeader{DisplayName: "Outside", Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1"}, Params: sip.NewParams()}
	f.Params.Add("tag", sip.GenerateTagN(8))
	ct := sip.ContentTypeHeader("application/sdp")
	s, err := tr.uac.Invite(ctx, e.nodeURI(to), tr.sdp(), f, &ct)
	if err != nil {
		return nil, err
	}
	if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		return s, err
	}
	return s, s.Ack(ctx)
}

// next returns the next INVITE the trunk accepted.
func (tr *trunk) next() *sip.Request {
	tr.t.Helper()
	select {
	case req := <-tr.invites:
		return req
	case <-time.After(wait):
		tr.t.Fatal("trunk: no INVITE")
	}
	return nil
}
