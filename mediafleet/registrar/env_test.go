package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/mediafleet/node"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// replyTimeout bounds every wait on loopback. It is generous on purpose:
// tests assert behaviour, and a slow machine must not fail them.
const replyTimeout = 10 * time.Second

const (
	testRealm   = "switchboard.test"
	testAccount = "1234567"
)

// clock is a test clock that can be moved forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is a node on loopback with the registrar mounted, a directory loaded
// from a real embedded store and kept in step with its change log.
type env struct {
	t     *testing.T
	db    *embedded.DB
	dir   *directory.Directory
	reg   *Registrar
	node  *node.Node
	clock *clock
	seq   uint64
}

// phone is a device of the fixture account with its SIP password.
type phone struct{ id, password string }

func testPhone(n int) phone {
	return phone{id: fmt.Sprintf("%se%d", testAccount, n), password: fmt.Sprintf("secret-%d", n)}
}

// newEnv seeds the store with an account, a user w0 and phones e0..e(n-1)
// and starts the registrar and the node. adjust may change the config.
func newEnv(t *testing.T, phones int, adjust func(*Config)) *env {
	t.Helper()
	return newEnvLog(t, phones, adjust, testlog.New(t))
}

// newEnvLog is newEnv with the given logger.
func newEnvLog(t *testing.T, phones int, adjust func(*Config), log *slog.Logger) *env {
	t.Helper()
	// Cleanups run last first: the leak check goes after the store, the
	// node and every client are closed.
	// (The CPU profiler's reader is not a leak: go test -cpuprofile runs it.)
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreTopFunction("runtime/pprof.readProfile")) })
	e := &env{t: t, db: fixture.Open(t), clock: &clock{}}
	ents := []any{fixture.Account(testAccount), fixture.User(testAccount, "w0", "10")}
	for i := range phones {
		p := testPhone(i)
		ents = append(ents, fixture.Phone(testAccount, p.id, "w0", testRealm, p.password))
	}
	fixture.Put(t, e.db, ents...)

	var err error
	if e.seq, err = e.db.LastSequence(); err != nil {
		t.Fatal(err)
	}
	e.dir = directory.New(log)
	if err := e.dir.Load(context.Background(), e.db); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Realm: testRealm, Node: "node-test", UserAgent: "Switchboard-test", Clock: e.clock.now,
		NonceSecret: []byte("a secret every test node shares")}
	if adjust != nil {
		adjust(&cfg)
	}
	if e.reg, err = New(cfg, e.dir, e.db, log); err != nil {
		t.Fatal(err)
	}
	e.node, err = node.New(node.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Domain: testRealm,
		UserAgent: "Switchboard-test", Routes: []node.Route{{Method: sip.REGISTER, Handle: e.reg.ServeSIP}}}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.node.Listen(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- e.node.Serve(ctx) }()
	go func() { done <- e.reg.Run(ctx, e.node) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(replyTimeout):
				t.Errorf("node or registrar did not stop")
			}
		}
	})
	return e
}

// sync applies the change log written since the last sync to the
// directory, as streamsync does in the local stack.
func (e *env) sync() {
	e.t.Helper()
	recs, err := e.db.ReadChanges(context.Background(), e.seq, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var batch []change.Notification
	for _, rec := range recs {
		n, ok, err := change.Decode(rec)
		if err != nil {
			e.t.Fatal(err)
		}
		if ok {
			batch = append(batch, n)
		}
		if e.seq, err = embedded.ParseSequence(rec.Change.SequenceNumber); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.dir.Apply(context.Background(), batch); err != nil {
		e.t.Fatal(err)
	}
}

// addr is the node's address for transport ("udp" or "tcp").
func (e *env) addr(transport string) string {
	if strings.EqualFold(transport, "tcp") {
		return e.node.TCPAddr().String()
	}
	return e.node.UDPAddr().String()
}

// bindingItems returns the device's binding items in the table after
// the registrar's queued writes went out.
func (e *env) bindingItems(device string) []model.Binding {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
	defer cancel()
	if err := e.reg.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
	page, err := e.db.Query(ctx, store.Query{PK: model.AccountPK(testAccount), Prefix: model.BindingPrefix(device)})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]model.Binding, len(page.Items))
	for i, it := range page.Items {
		if err := store.Unmarshal(it, &out[i]); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// client is a sipgo user agent acting as a phone. It answers OPTIONS with
// 200 and reports each on options, so tests see the node's keep-alives.
type client struct {
	*sipgo.Client
	options chan *sip.Request
}

func newClient(t *testing.T) *client {
	t.Helper()
	log := testlog.New(t)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("phone-test"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientNAT())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{Client: c, options: make(chan *sip.Request, 16)}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
		select {
		case cl.options <- req:
		default:
		}
	})
	return cl
}

// registration is one REGISTER dialog of a phone: the same Call-ID and
// rising CSeq, as a phone keeps them across refreshes.
type phoneDialog struct {
	e         *env
	c         *client
	p         phone
	transport string
	callID    string
	cseq      uint32
}

func (e *env) dialog(c *client, p phone, transport string) *phoneDialog {
	return &phoneDialog{e: e, c: c, p: p, transport: strings.ToUpper(transport),
		callID: fmt.Sprintf("reg-%s-%d", p.id, time.Now().UnixNano())}
}

// request builds a REGISTER with the given Contact URIs (none: a query)
// and extra headers.
func (d *phoneDialog) request(contacts []string, extra ...sip.Header) *sip.Request {
	d.e.t.Helper()
	host, port, err := sip.ParseAddr(d.e.addr(d.transport))
	if err != nil {
		d.e.t.Fatal(err)
	}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	req.SetTransport(d.transport)
	aor := sip.Uri{Scheme: "sip", User: d.p.id, Host: testRealm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	d.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.REGISTER})
	for _, c := range contacts {
		// Parsed as a header value: in "sip:a@b;expires=60" the
		// parameter belongs to the header, not the URI.
		h := &sip.ContactHeader{}
		var err error
		if h.DisplayName, err = sip.ParseAddressValue(c, &h.Address, &h.Params); err != nil {
			d.e.t.Fatal(err)
		}
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("User-Agent", "phone-test/1.0"))
	for _, h := range extra {
		req.AppendHeader(h)
	}
	req.SetBody(nil)
	return req
}

// send sends req and returns the final response.
func (d *phoneDialog) send(req *sip.Request, opts ...sipgo.ClientRequestOption) *sip.Response {
	d.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
	defer cancel()
	res, err := d.c.Do(ctx, req, opts...)
	if err != nil {
		d.e.t.Fatalf("REGISTER: %v", err)
	}
	return res
}

// answer turns req into the answer to the challenge res for algorithm
// alg ("SHA-256" or "MD5") with password, as a phone does: a new CSeq, a
// new branch and an Authorization header.
func (d *phoneDialog) answer(req *sip.Request, res *sip.Response, alg, password string) {
	d.e.t.Helper()
	chal := findChallenge(d.e.t, res, alg)
	cred, err := digest.Digest(chal, digest.Options{
		Method: "REGISTER", URI: req.Recipient.String(), Username: d.p.id, Password: password,
	})
	if err != nil {
		d.e.t.Fatal(err)
	}
	req.RemoveHeader("Authorization")
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	d.cseq++
	req.CSeq().SeqNo = d.cseq
	req.RemoveHeader("Via")
}

// findChallenge returns the WWW-Authenticate challenge of res for alg.
func findChallenge(t *testing.T, res *sip.Response, alg string) *digest.Challenge {
	t.Helper()
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatalf("challenge %q: %v", h.Value(), err)
		}
		if strings.EqualFold(chal.Algorithm, alg) {
			return chal
		}
	}
	t.Fatalf("no %s challenge in %d %s:\n%s", alg, res.StatusCode, res.Reason, res)
	return nil
}

// register sends a REGISTER, answers its challenge with alg and the
// phone's password (or password, if given) and returns the final answer.
func (d *phoneDialog) register(alg string, contacts []string, extra ...sip.Header) *sip.Response {
	d.e.t.Helper()
	return d.registerWith(alg, d.p.password, contacts, extra...)
}

func (d *phoneDialog) registerWith(alg, password string, contacts []string, extra ...sip.Header) *sip.Response {
	d.e.t.Helper()
	req := d.request(contacts, extra...)
	res := d.send(req)
	if res.StatusCode != sip.StatusUnauthorized {
		return res
	}
	d.answer(req, res, alg, password)
	return d.send(req, sipgo.ClientRequestAddVia)
}

// sipgoAddVia resends a request with a new Via (a new transaction).
var sipgoAddVia = sipgo.ClientRequestAddVia

func expires(n int) sip.Header { return sip.NewHeader("Expires", fmt.Sprint(n)) }

// contactExpires maps the Contact URIs of a 200 to their expires.
func contactExpires(t *testing.T, res *sip.Response) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, h := range res.GetHeaders("Contact") {
		c := h.(*sip.ContactHeader)
		v, _ := c.Params.Get("expires")
		out[c.Address.String()] = v
	}
	return out
}
