package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
	"github.com/switchboard/switchboard/shared/store/dynamo/dynamolocal"
)

var local *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &local)) }

const (
	acct   = "7000001"
	domain = "sip.fleet.test"
	nodeID = "i-0123456789abcdef0"
)

// logBuffer collects the service's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// line returns the first JSON log line whose msg is msg.
func (b *logBuffer) line(msg string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	return nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// service is fleetd running in the test.
type service struct {
	ready map[string]any
	logs  *logBuffer
	stop  context.CancelFunc
	done  chan error
}

// start runs fleetd with env until the test ends, and waits for its ready
// line.
func start(t *testing.T, env map[string]string) *service {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	s := &service{logs: &logBuffer{}, stop: stop, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, func(k string) string { return env[k] }, s.logs) }()
	t.Cleanup(func() {
		stop()
		<-s.done
		if t.Failed() {
			t.Logf("fleetd log:\n%s", s.logs)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for s.ready = s.logs.line("fleet ready"); s.ready == nil; s.ready = s.logs.line("fleet ready") {
		select {
		case err := <-s.done:
			t.Fatalf("fleetd ended before it was ready: %v\n%s", err, s.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleetd not ready:\n%s", s.logs)
		}
	}
	return s
}

// register sends a REGISTER for device id over TCP and answers the
// digest challenge; it returns the final status.
func register(t *testing.T, sipTCP, id, password string) int {
	t.Helper()
	log := testlog.New(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone-"+id),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(sipTCP)
	tcp := sip.NewParams()
	tcp.Add("transport", "tcp")
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: addr.Addr().String(), Port: int(addr.Port()), UriParams: tcp})
	req.SetTransport("TCP")
	aor := sip.Uri{Scheme: "sip", User: id, Host: domain}
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
		res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: id, Password: password})
	}
	if err != nil {
		t.Fatalf("register %s: %v", id, err)
	}
	return res.StatusCode
}

// push posts notifications to the node listed in the table, as streamsync
// does, and returns the status.
func push(t *testing.T, db store.Store, notes []change.Notification) int {
	t.Helper()
	it, err := db.Get(context.Background(), model.NodeKey(nodeID))
	if err != nil {
		t.Fatalf("node item: %v", err)
	}
	var n model.Node
	if err := store.Unmarshal(it, &n); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(fleet.Push{First: notes[0].Sequence, Last: notes[len(notes)-1].Sequence, Notifications: notes})
	resp, err := http.Post("http://"+n.SyncAddr+model.SyncPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func nodeItem(t *testing.T, db store.Store) (model.Node, error) {
	t.Helper()
	it, err := db.Get(context.Background(), model.NodeKey(nodeID))
	if err != nil {
		return model.Node{}, err
	}
	var n model.Node
	if err := store.Unmarshal(it, &n); err != nil {
		t.Fatal(err)
	}
	return n, nil
}

// TestFleetd runs the service against DynamoDB Local: a phone in the
// table registers; a phone added later registers once its change is
// pushed to the node's sync endpoint; a phone added while a push failed
// registers once the node's item is flagged for a resync; at stop the
// node's item is deleted.
func TestFleetd(t *testing.T) {
	srv := dynamolocal.ForTest(t, local)
	client, streams := srv.Clients()
	table := dynamolocal.TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTable(ctx, client, store.Definition(table)); err != nil {
		t.Fatal(err)
	}
	db, err := dynamo.New(client, dynamo.Config{TableName: table})
	if err != nil {
		t.Fatal(err)
	}
	fixture.Put(t, db, fixture.Account(acct), fixture.User(acct, "w0", "10"), fixture.Phone(acct, acct+"e0", "w0", domain, "pw-e0-secret"))

	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", dynamolocal.Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env := map[string]string{
		"SWITCHBOARD_TABLE": table, "SWITCHBOARD_DYNAMODB_ENDPOINT": srv.Endpoint,
		"SWITCHBOARD_SIP_DOMAIN": domain, "SWITCHBOARD_NODE_ID": nodeID,
		"SWITCHBOARD_PUBLIC_IP": "127.0.0.1", "SWITCHBOARD_PRIVATE_IP": "127.0.0.1",
		"SWITCHBOARD_FLEET_SECRET": strings.Repeat("s3cr3t-", 6),
		"SWITCHBOARD_SYNC_ADDR":    ":0", "SWITCHBOARD_SIP_UDP": ":0", "SWITCHBOARD_SIP_TCP": ":0", "SWITCHBOARD_STUN": ":0",
		"SWITCHBOARD_RTP_PORTS": "43000-43099", "SWITCHBOARD_HEARTBEAT": "50ms",
	}
	s := start(t, env)
	if strings.Contains(s.logs.String(), env["SWITCHBOARD_FLEET_SECRET"]) {
		t.Error("the fleet secret is in the log")
	}
	sipTCP, _ := s.ready["sip_tcp"].(string)
	if sipTCP == "" || !strings.HasPrefix(sipTCP, "127.0.0.1:") {
		t.Fatalf("ready line %v: no SIP TCP address on the private IP", s.ready)
	}
	n, err := nodeItem(t, db)
	if err != nil || n.SyncAddr != s.ready["sync"] || n.PublicIP != "127.0.0.1" || n.Expires <= time.Now().Unix() {
		t.Fatalf("node item %+v, %v; ready %v", n, err, s.ready)
	}

	if code := register(t, sipTCP, acct+"e0", "pw-e0-secret"); code != sip.StatusOK {
		t.Fatalf("phone from the snapshot: REGISTER answered %d", code)
	}

	// A phone added to the table is unknown until its change is pushed.
	fixture.Put(t, db, fixture.Phone(acct, acct+"e1", "w0", domain, "pw-e1-secret"))
	if code := register(t, sipTCP, acct+"e1", "pw-e1-secret"); code == sip.StatusOK {
		t.Fatal("phone registered before its change reached the node")
	}
	recs, err := dynamo.ReadStream(ctx, streams, table)
	if err != nil {
		t.Fatal(err)
	}
	var notes []change.Notification
	for _, r := range recs {
		if n, ok, err := change.Decode(r); err == nil && ok && n.ID == acct+"e1" {
			notes = append(notes, n)
		}
	}
	if len(notes) != 1 {
		t.Fatalf("%d stream records of the new phone", len(notes))
	}
	if code := push(t, db, notes); code != http.StatusNoContent {
		t.Fatalf("push answered %d", code)
	}
	if code := register(t, sipTCP, acct+"e1", "pw-e1-secret"); code != sip.StatusOK {
		t.Fatalf("pushed phone: REGISTER answered %d", code)
	}

	// A connection check pushed to the node reaches its prober, which
	// answers it for the phone registered here.
	k := model.ProbeKey(acct, acct+"e0", "p1")
	probe := model.Probe{PK: k.PK, SK: k.SK, Type: model.TypeProbe, ID: "p1", Account: acct, Device: acct + "e0",
		Requested: time.Now().UnixMilli(), Expires: time.Now().Add(2 * time.Minute).Unix()}
	item, err := store.Marshal(probe)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, store.Put(item)); err != nil {
		t.Fatal(err)
	}
	if recs, err = dynamo.ReadStream(ctx, streams, table); err != nil {
		t.Fatal(err)
	}
	notes = nil
	for _, r := range recs {
		if n, ok, err := change.Decode(r); err == nil && ok && n.Kind == change.KindProbe {
			notes = append(notes, n)
		}
	}
	if len(notes) != 1 {
		t.Fatalf("%d stream records of the check", len(notes))
	}
	if code := push(t, db, notes); code != http.StatusNoContent {
		t.Fatalf("push of the check answered %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		it, err := db.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var got model.Probe
		if err := store.Unmarshal(it, &got); err != nil {
			t.Fatal(err)
		}
		if got.Done {
			if got.Node != nodeID || len(got.Results) != 1 {
				t.Errorf("check answered %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pushed connection check not answered")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A push that failed: streamsync flags the node, which reloads.
	fixture.Put(t, db, fixture.Phone(acct, acct+"e2", "w0", domain, "pw-e2-secret"))
	flag := store.Update(model.NodeKey(nodeID)).SetAttr(model.AttrResync, &types.AttributeValueMemberBOOL{Value: true}).If(store.Exists())
	if err := db.Write(ctx, flag); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for n, err := nodeItem(t, db); err != nil || n.Resync; n, err = nodeItem(t, db) {
		if time.Now().After(deadline) {
			t.Fatalf("resync flag not cleared: %+v %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The reload follows the clearing of the flag in the same beat.
	code := 0
	for range 5 {
		if code = register(t, sipTCP, acct+"e2", "pw-e2-secret"); code == sip.StatusOK {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != sip.StatusOK {
		t.Fatalf("phone added before the resync: REGISTER answered %d", code)
	}

	// SIGTERM: the service stops cleanly and removes its item.
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("fleetd: %v", err)
		}
		s.done <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("fleetd did not stop")
	}
	if _, err := nodeItem(t, db); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("node item after stop: %v", err)
	}
	if s.logs.line("fleet stopped") == nil {
		t.Error("no stop line")
	}
}

// TestStartFailsCleanly: a service whose configuration is refused says
// which setting is wrong and leaves no goroutine behind.
func TestStartFailsCleanly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	env := map[string]string{
		"SWITCHBOARD_TABLE": "t", "SWITCHBOARD_SIP_DOMAIN": domain, "SWITCHBOARD_NODE_ID": nodeID,
		"SWITCHBOARD_PUBLIC_IP": "127.0.0.1", "SWITCHBOARD_PRIVATE_IP": "127.0.0.1",
		"SWITCHBOARD_FLEET_SECRET": "too short",
	}
	err := run(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_FLEET_SECRET") {
		t.Fatalf("run with a short secret: %v", err)
	}
}
