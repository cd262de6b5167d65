package probe

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/mediafleet/registrar"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type bindings map[string][]registrar.Binding

func (b bindings) Bindings(id string) []registrar.Binding { return b[id] }

type client struct{ c *sipgo.Client }

func (c client) Client() *sipgo.Client { return c.c }

// phone answers OPTIONS on a UDP socket of loopback with status.
func phone(t *testing.T, status int) netip.AddrPort {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, status, "Status", nil))
	})
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = conn.Close(); <-done; _ = ua.Close() })
	return conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

func binding(addr netip.AddrPort) registrar.Binding {
	return registrar.Binding{Contact: sip.Uri{Scheme: "sip", User: "1234567e0", Host: addr.Addr().String(), Port: int(addr.Port())},
		Source: addr.String(), Transport: "udp"}
}

// A check of a phone registered here gets one result per registration:
// the status and round trip of the ones that answer, an error for one
// that does not. Checks of phones registered elsewhere, too old, or
// other notifications are left alone.
func TestCheck(t *testing.T) {
	db := fixture.Open(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("node"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	dead, err := net.ListenPacket("udp4", "127.0.0.1:0") // bound, never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dead.Close() })
	ok, refusing := phone(t, 200), phone(t, 405)
	b := bindings{"1234567e0": {binding(ok), binding(refusing), binding(dead.LocalAddr().(*net.UDPAddr).AddrPort())}}
	p := New("node-a", b, client{cli}, db, testlog.New(t))
	p.Timeout = 300 * time.Millisecond
	now := time.Now()
	put := func(device, id string, requested time.Time) model.Probe {
		k := model.ProbeKey("1234567", device, id)
		pr := model.Probe{PK: k.PK, SK: k.SK, Type: model.TypeProbe, ID: id, Account: "1234567", Device: device,
			Requested: requested.UnixMilli(), Expires: now.Add(time.Hour).Unix()}
		fixture.Put(t, db, &pr)
		return pr
	}
	mine, elsewhere, old := put("1234567e0", "p1", now), put("1234567e1", "p2", now), put("1234567e0", "p3", now.Add(-time.Minute))
	batch := []change.Notification{{Kind: change.KindProbe, Probe: &mine}, {Kind: change.KindProbe, Probe: &elsewhere},
		{Kind: change.KindProbe, Probe: &old}, {Kind: change.KindDevice, Device: &model.Device{ID: "1234567e0"}}}
	if err := p.Apply(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	get := func(pr model.Probe) model.Probe {
		it, err := db.Get(context.Background(), store.Key{PK: pr.PK, SK: pr.SK})
		if err != nil {
			t.Fatal(err)
		}
		var got model.Probe
		if err := store.Unmarshal(it, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := get(mine)
	if !got.Done || got.Node != "node-a" || len(got.Results) != 3 {
		t.Fatalf("probe %+v", got)
	}
	r := got.Results
	if r[0].Status != 200 || r[0].RTTMicros <= 0 || r[0].Error != "" || r[0].Source != ok.String() {
		t.Errorf("answering phone: %+v", r[0])
	}
	if r[1].Status != 405 || r[1].Error != "" {
		t.Errorf("phone answering 405: %+v", r[1])
	}
	if r[2].Status != 0 || r[2].Error == "" {
		t.Errorf("silent phone: %+v", r[2])
	}
	for _, pr := range []model.Probe{elsewhere, old} {
		if g := get(pr); g.Done || len(g.Results) > 0 {
			t.Errorf("probe %s answered: %+v", pr.ID, g)
		}
	}
}
