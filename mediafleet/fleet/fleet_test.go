package fleet_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func loopback() fleet.Config {
	return fleet.Config{Domain: realm, SIPUDP: "127.0.0.1:0", SIPTCP: "127.0.0.1:0", STUN: "127.0.0.1:0",
		RTPPortMin: 44000, RTPPortMax: 44099, NonceSecret: []byte(strings.Repeat("k", 32))}
}

// TestFleet: a fleet node on loopback answers a phone of its directory
// over TCP, and Run stops every part when its context ends.
func TestFleet(t *testing.T) {
	db := fixture.Open(t)
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"), fixture.Phone(acct, acct+"e0", "w0", realm, "pw-e0"))
	pub := events.NewLocal()
	defer pub.Close()
	var hooked calls.Deps
	cfg := loopback()
	cfg.Calls = func(c *calls.Config, d *calls.Deps) {
		hooked = *d
		c.UserAgent = "Switchboard-test"
	}
	f, err := fleet.New(testCtx(t), cfg, db, pub, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	if hooked.Directory == nil || hooked.Node == nil || hooked.Events != pub || hooked.Store == nil {
		t.Errorf("the calls hook got deps %+v", hooked)
	}
	if err := f.Load(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]net.Addr{"udp": f.SIPUDPAddr(), "tcp": f.SIPTCPAddr(), "stun": f.STUNAddr()} {
		if a == nil || !strings.HasPrefix(a.String(), "127.0.0.1:") {
			t.Errorf("%s address %v", name, a)
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	if code := registerTCP(t, f.SIPTCPAddr().String(), acct+"e0", "pw-e0"); code != sip.StatusOK {
		t.Errorf("REGISTER answered %d", code)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
}

// TestFleetCallsHook: the hook adjusts the call router's configuration
// before it is built, so a setting the router refuses fails New.
func TestFleetCallsHook(t *testing.T) {
	cfg := loopback()
	cfg.Calls = func(c *calls.Config, _ *calls.Deps) { c.NoAnswer = -time.Second }
	if _, err := fleet.New(testCtx(t), cfg, fixture.Open(t), events.NewLocal(), testlog.New(t)); err == nil || !strings.Contains(err.Error(), "NoAnswer") {
		t.Fatalf("New with a refused calls setting: %v", err)
	}
}

func registerTCP(t *testing.T, addr, id, password string) int {
	t.Helper()
	return registerVia(t, addr, addr, id, password)
}

// registerVia sends a REGISTER over TCP to challenger and its answer to
// the challenge to answerTo.
func registerVia(t *testing.T, challenger, answerTo, id, password string) int {
	t.Helper()
	log := testlog.New(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := sip.ParseAddr(challenger)
	tcp := sip.NewParams()
	tcp.Add("transport", "tcp")
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port, UriParams: tcp})
	req.SetTransport("TCP")
	aor := sip.Uri{Scheme: "sip", User: id, Host: realm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: id, Host: "127.0.0.1", Port: 9, UriParams: tcp.Clone()}})
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := cli.Do(ctx, req)
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		host, port, _ := sip.ParseAddr(answerTo)
		req.Recipient.Host, req.Recipient.Port = host, port
		res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: id, Password: password})
	}
	if err != nil {
		t.Fatalf("register %s: %v", id, err)
	}
	return res.StatusCode
}

// TestNoncesAcrossNodes: nodes with the same nonce secret accept each
// other's nonces (a phone challenged by one node may send its answer to
// another), and a node with another secret does not.
func TestNoncesAcrossNodes(t *testing.T) {
	db := fixture.Open(t)
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"), fixture.Phone(acct, acct+"e0", "w0", realm, "pw-e0"))
	start := func(secret string) *fleet.Fleet {
		cfg := loopback()
		cfg.STUN, cfg.NonceSecret = "", []byte(secret)
		cfg.RTPPortMin, cfg.RTPPortMax = 0, 0
		pub := events.NewLocal()
		f, err := fleet.New(testCtx(t), cfg, db, pub, testlog.New(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Load(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		t.Cleanup(func() {
			stop()
			<-done
			pub.Close()
		})
		return f
	}
	a := start(strings.Repeat("a", 32))
	b := start(strings.Repeat("a", 32))
	c := start(strings.Repeat("c", 32))
	if code := registerVia(t, a.SIPTCPAddr().String(), b.SIPTCPAddr().String(), acct+"e0", "pw-e0"); code != sip.StatusOK {
		t.Errorf("challenge of one node answered to another with the same secret: %d", code)
	}
	if code := registerVia(t, a.SIPTCPAddr().String(), c.SIPTCPAddr().String(), acct+"e0", "pw-e0"); code == sip.StatusOK {
		t.Error("a node with another secret accepted the nonce")
	}
}
