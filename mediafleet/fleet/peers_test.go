package fleet_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// udpPhone is a phone on a UDP socket of loopback: it registers from the
// socket, places calls with digest authentication, and answers every
// INVITE with 200 and audio.
type udpPhone struct {
	t        *testing.T
	id, pass string
	addr     string
	cli      *sipgo.Client
	uac      *sipgo.DialogClientCache
	invites  chan *sip.Request
	byes     chan *sip.Request
}

func newUDPPhone(t *testing.T, id, pass string) *udpPhone {
	t.Helper()
	log := testlog.New(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone-"+id),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &udpPhone{t: t, id: id, pass: pass, addr: conn.LocalAddr().String(),
		invites: make(chan *sip.Request, 4), byes: make(chan *sip.Request, 4)}
	if p.cli, err = sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"),
		sipgo.WithClientConnectionAddr(p.addr)); err != nil {
		t.Fatal(err)
	}
	host, port, _ := sip.ParseAddr(p.addr)
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: id, Host: host, Port: port}}
	p.uac = sipgo.NewDialogClientCache(p.cli, contact)
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		p.invites <- req
		res := sip.NewSDPResponseFromRequest(req, p.sdp())
		res.AppendHeader(&contact)
		_ = tx.Respond(res)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if p.uac.ReadBye(req, tx) != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
		}
		p.byes <- req
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = conn.Close(); <-done; _ = ua.Close() })
	// The client sends from the socket once the server serves it.
	for range 1000 {
		if c, err := ua.TransportLayer().GetConnection("udp", p.addr); err == nil {
			_, _ = c.TryClose()
			return p
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("socket %s not served", p.addr)
	return p
}

func (p *udpPhone) sdp() []byte {
	return []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")
}

// register binds the phone's socket at the node at addr.
func (p *udpPhone) register(addr string) {
	p.t.Helper()
	host, port, _ := sip.ParseAddr(addr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: p.id, Host: realm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	h, pt, _ := sip.ParseAddr(p.addr)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.id, Host: h, Port: pt}})
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.id, Password: p.pass})
	}
	if err != nil || res.StatusCode != sip.StatusOK {
		p.t.Fatalf("register %s at %s: %v %v", p.id, addr, err, res)
	}
}

// startNode runs a fleet node named id on db with the fleet's peer key
// and lists it in the table with its SIP address, as its presence does.
func startNode(t *testing.T, db *embedded.DB, id string, peerKey []byte) (*fleet.Fleet, *events.Local) {
	t.Helper()
	cfg := loopback()
	cfg.Node, cfg.STUN, cfg.PeerKey = id, "", peerKey
	cfg.RTPPortMin, cfg.RTPPortMax = 0, 0
	pub := events.NewLocal()
	f, err := fleet.New(testCtx(t), cfg, db, pub, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	n := model.NewNode(id, "127.0.0.1:9", "", time.Now().Unix(), time.Now().Add(time.Hour).Unix())
	n.SIPAddr = f.SIPUDPAddr().String()
	fixture.Put(t, db, &n)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("node %s: %v", id, err)
		}
		pub.Close()
	})
	return f, pub
}

// waitBinding waits until the table says which node holds the device.
func waitBinding(t *testing.T, db *embedded.DB, device string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		page, err := db.Query(testCtx(t), store.Query{PK: model.AccountPK(acct), Prefix: model.BindingPrefix(device)})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			var b model.Binding
			if store.Unmarshal(it, &b) == nil && b.Node != "" {
				return b.Node
			}
		}
	}
	t.Fatalf("no binding of %s in the table", device)
	return ""
}

// TestCallAcrossNodes: a phone registered with node b is called from a
// phone registered with node a; a finds where the callee is in the table
// and passes the call to b, which rings its phone. The call record is a's
// alone. An INVITE whose peer header is not the fleet's is challenged like
// any phone's.
func TestCallAcrossNodes(t *testing.T) {
	db := fixture.Open(t)
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"), fixture.User(acct, "w1", "11"),
		fixture.Phone(acct, acct+"e0", "w0", realm, "pw-e0"), fixture.Phone(acct, acct+"e1", "w1", realm, "pw-e1"))
	key := []byte(strings.Repeat("p", 32))
	a, _ := startNode(t, db, "node-a", key)
	b, _ := startNode(t, db, "node-b", key)
	caller, callee := newUDPPhone(t, acct+"e0", "pw-e0"), newUDPPhone(t, acct+"e1", "pw-e1")
	caller.register(a.SIPUDPAddr().String())
	callee.register(b.SIPUDPAddr().String())
	if n := waitBinding(t, db, acct+"e1"); n != "node-b" {
		t.Fatalf("callee's binding names node %q", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	host, port, _ := sip.ParseAddr(a.SIPUDPAddr().String())
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: caller.id, Host: realm}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	ct := sip.ContentTypeHeader("application/sdp")
	s, err := caller.uac.Invite(ctx, sip.Uri{Scheme: "sip", User: "11", Host: host, Port: port}, caller.sdp(), from, &ct)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{Username: caller.id, Password: caller.pass}); err != nil {
		t.Fatalf("call across nodes: %v", err)
	}
	if err := s.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case inv := <-callee.invites:
		if inv.Source() != b.SIPUDPAddr().String() {
			t.Errorf("callee's INVITE came from %s, want node b at %s", inv.Source(), b.SIPUDPAddr())
		}
		if inv.GetHeader(calls.HeaderPeer) != nil {
			t.Error("the peer header reached the phone")
		}
	case <-ctx.Done():
		t.Fatal("the callee did not ring")
	}
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-callee.byes:
	case <-ctx.Done():
		t.Fatal("the callee got no BYE")
	}
	var recs []model.Call
	for deadline := time.Now().Add(10 * time.Second); len(recs) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		page, err := db.Query(ctx, store.Query{PK: model.AccountPK(acct), Prefix: model.CallsPrefix})
		if err != nil {
			t.Fatal(err)
		}
		recs = recs[:0]
		for _, it := range page.Items {
			var r model.Call
			if err := store.Unmarshal(it, &r); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
	}
	time.Sleep(200 * time.Millisecond) // a second record would come about now
	page, _ := db.Query(ctx, store.Query{PK: model.AccountPK(acct), Prefix: model.CallsPrefix})
	if len(page.Items) != 1 || len(recs) != 1 || recs[0].AnsweredBy != acct+"e1" || recs[0].Caller != acct+"e0" {
		t.Fatalf("call records %+v (%d items), want one, answered by %se1", recs, len(page.Items), acct)
	}

	// A forged peer header is no way around authentication.
	forged := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: acct + "e1", Host: host, Port: port})
	ff := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "intruder", Host: realm}, Params: sip.NewParams()}
	ff.Params.Add("tag", sip.GenerateTagN(8))
	forged.AppendHeader(ff)
	forged.AppendHeader(&sip.ToHeader{Address: forged.Recipient})
	forged.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "intruder", Host: "127.0.0.1", Port: 9}})
	forged.AppendHeader(sip.NewHeader(calls.HeaderPeer, fmt.Sprintf("%d;%s", time.Now().Unix(), strings.Repeat("0", 64))))
	forged.AppendHeader(&ct)
	forged.SetBody(caller.sdp())
	res, err := caller.cli.Do(ctx, forged)
	if err != nil || res.StatusCode != sip.StatusProxyAuthRequired {
		t.Errorf("INVITE with a forged peer header: %v %v, want 407", res, err)
	}
	select {
	case inv := <-callee.invites:
		t.Errorf("the forged INVITE rang the callee: %s", inv.StartLine())
	case <-time.After(200 * time.Millisecond):
	}
}
