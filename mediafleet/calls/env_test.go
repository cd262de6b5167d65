package calls

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/mediafleet/node"
	"github.com/switchboard/switchboard/mediafleet/registrar"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// wait bounds every wait of these tests for a message or an event. It is
// a limit for a broken B2BUA, not a timing assertion: on a working one
// the waits end in milliseconds.
const wait = 10 * time.Second

const (
	testRealm   = "switchboard.test"
	testAccount = "1234567"
)

// The fixture account: three users with extensions, four phones, a group
// and three numbers.
//
//	w0 ext 10, caller id +492111234560, phone e0
//	w1 ext 11, phones e1 and e2
//	w2 ext 12, phone e3
//	g0 ext 20, members w1 and w2
//	+492111234560 -> w0, +492111234561 -> w1, +492111234562 -> g0
const (
	numW0      = "+492111234560"
	numW1      = "+492111234561"
	numG0      = "+492111234562"
	numOutside = "+493012345678"
)

// device is the id of phone n of the fixture account.
func device(n int) string { return fmt.Sprintf("%se%d", testAccount, n) }

func password(n int) string { return fmt.Sprintf("secret-%d", n) }

// world is the fixture's entities; a test changes them before the env
// writes them.
type world struct {
	account *model.Account
	users   map[string]*model.User
	phones  []*model.Device
	extra   []any
	group   *model.Group
	numbers []*model.Number
}

func newWorld() *world {
	w := &world{account: fixture.Account(testAccount), users: map[string]*model.User{}}
	for i, ext := range []string{"10", "11", "12"} {
		id := fmt.Sprintf("w%d", i)
		w.users[id] = fixture.User(testAccount, id, ext)
	}
	w.users["w0"].CallerID = numW0
	for n, owner := range []string{"w0", "w1", "w1", "w2"} {
		w.phones = append(w.phones, fixture.Phone(testAccount, device(n), owner, testRealm, password(n)))
	}
	w.group = fixture.Group(testAccount, "g0", "20", "w1", "w2")
	w.numbers = []*model.Number{
		fixture.Number(testAccount, numW0, model.RouteUser, "w0"),
		fixture.Number(testAccount, numW1, model.RouteUser, "w1"),
		fixture.Number(testAccount, numG0, model.RouteGroup, "g0"),
	}
	return w
}

func (w *world) entities() []any {
	out := []any{w.account, w.group}
	for _, id := range []string{"w0", "w1", "w2"} {
		out = append(out, w.users[id])
	}
	for _, p := range w.phones {
		out = append(out, p)
	}
	for _, n := range w.numbers {
		out = append(out, n)
	}
	return append(out, w.extra...)
}

// options adjust an env.
type options struct {
	world  func(*world)  // changes the fixture before it is written
	config func(*Config) // changes the router's config
	media  func(*media.Config)
	trunk  *trunkBehavior // starts a trunk that behaves so
	steer  Steerer        // asked about each new call
}

// env is a fleet node on loopback: a directory loaded from a real
// embedded store, the registrar and the B2BUA mounted on a node, the real
// RTP relay, and an in-process event publisher.
type env struct {
	t      testing.TB
	db     *embedded.DB
	dir    *directory.Directory
	reg    *registrar.Registrar
	node   *node.Node
	relay  *media.Relay
	router *Router
	events <-chan events.Event
	trunk  *trunk
	// stopCalls stops the router the way the node's shutdown does.
	stopCalls func()
}

func newEnv(t testing.TB, o options) *env {
	t.Helper()
	e := &env{t: t, db: fixture.Open(t)}
	w := newWorld()
	if o.world != nil {
		o.world(w)
	}
	fixture.Put(t, e.db, w.entities()...)
	log := testlog.New(t)
	e.dir = directory.New(log)
	if err := e.dir.Load(context.Background(), e.db); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.reg, err = registrar.New(registrar.Config{Realm: testRealm, Node: "node-test",
		NonceSecret: []byte("a secret every test node shares")}, e.dir, e.db, log); err != nil {
		t.Fatal(err)
	}
	mcfg := media.Config{ListenIP: netip.MustParseAddr("127.0.0.1"), PortMin: 40000, PortMax: 40999}
	if o.media != nil {
		o.media(&mcfg)
	}
	if e.relay, err = media.New(mcfg, log); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Realm: testRealm, NonceSecret: []byte("another secret of the test node"), Hangup: 2 * time.Second}
	if o.trunk != nil {
		e.trunk = newTrunk(t, *o.trunk)
		cfg.Trunk = Trunk{Address: e.trunk.addr, Username: o.trunk.username, Password: o.trunk.password}
	}
	if o.config != nil {
		o.config(&cfg)
	}
	pub := events.NewLocal()
	e.events = pub.Subscribe(256)
	// The router sends through the node, which hands it requests and
	// stray responses: the node is built first, the router on it.
	routes := []node.Route{{Method: sip.REGISTER, Handle: e.reg.ServeSIP}}
	for _, m := range Methods {
		routes = append(routes, node.Route{Method: m, Handle: func(req *sip.Request, tx sip.ServerTransaction) { e.router.ServeSIP(req, tx) }})
	}
	if e.node, err = node.New(node.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Domain: testRealm, UserAgent: "Switchboard-test",
		Routes: routes, Stray: func(res *sip.Response) { e.router.Stray(res) }}, log); err != nil {
		t.Fatal(err)
	}
	if e.router, err = New(cfg, Deps{Directory: e.dir, Bindings: e.reg, Media: Relay(e.relay), Store: e.db, Events: pub, Node: e.node, Steer: o.steer}, log); err != nil {
		t.Fatal(err)
	}
	e.start(pub)
	return e
}

// start serves the node, the registrar, the relay and the router. The
// router stops first, while the node still carries its messages, as in
// the local stack.
func (e *env) start(pub *events.Local) {
	t := e.t
	ctx, cancel := context.WithCancel(context.Background())
	callsCtx, stopCalls := context.WithCancel(context.Background())
	if err := e.node.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	go func() { done <- e.node.Serve(ctx) }()
	go func() { done <- e.reg.Run(ctx, nil) }()
	go func() { done <- e.relay.Run(ctx) }()
	routerDone := make(chan error, 1)
	go func() { routerDone <- e.router.Run(callsCtx) }()
	e.stopCalls = func() {
		stopCalls()
		select {
		case err := <-routerDone:
			routerDone <- err
		case <-time.After(3 * wait):
		}
	}
	t.Cleanup(func() {
		stopCalls()
		select {
		case err := <-routerDone:
			if err != nil {
				t.Errorf("router: %v", err)
			}
		case <-time.After(3 * wait):
			t.Errorf("router did not stop")
		}
		pub.Close()
		cancel()
		for range 3 {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(wait):
				t.Errorf("node, registrar or relay did not stop")
			}
		}
	})
}

// nodeURI is a SIP URI of user at the node.
func (e *env) nodeURI(user string) sip.Uri {
	ap := netip.MustParseAddrPort(e.node.UDPAddr().String())
	return sip.Uri{Scheme: "sip", User: user, Host: ap.Addr().String(), Port: int(ap.Port())}
}

// event returns the next call event, failing the test after wait.
func (e *env) event() events.Event {
	e.t.Helper()
	select {
	case ev, ok := <-e.events:
		if !ok {
			e.t.Fatal("event channel closed")
		}
		return ev
	case <-time.After(wait):
		e.t.Fatal("no event")
	}
	return events.Event{}
}

// callEvents returns the events of the next call up to its hangup.
func (e *env) callEvents() []events.Event {
	e.t.Helper()
	var out []events.Event
	for range 20 {
		ev := e.event()
		out = append(out, ev)
		if ev.Type == events.Hangup {
			return out
		}
	}
	e.t.Fatalf("no hangup among %d events", len(out))
	return nil
}

// records reads the account's call records.
func (e *env) records() []Record {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	page, err := e.db.Query(ctx, store.Query{PK: model.AccountPK(testAccount), Prefix: RecordsPrefix})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]Record, len(page.Items))
	for i, it := range page.Items {
		if err := store.Unmarshal(it, &out[i]); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// types lists the types of events.
func types(evs []events.Event) []events.Type {
	out := make([]events.Type, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// settle waits until the router holds no call: a call's record and
// hangup event are written when it is forgotten.
func (e *env) settle() {
	e.t.Helper()
	for range 1000 {
		if e.router.Active() == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("%d calls still active", e.router.Active())
}
