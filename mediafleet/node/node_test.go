package node

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// replyTimeout bounds every wait for an answer on loopback. It is generous
// on purpose: tests assert behaviour, and a slow machine must not fail them.
const replyTimeout = 10 * time.Second

const testDomain = "switchboard.test"

// start binds a node on loopback (UDP and TCP, ephemeral ports), serves it
// in a goroutine and returns it. The cleanup cancels Serve, checks that it
// returned nil and that neither the node nor sipgo left a goroutine behind.
func start(t *testing.T) *Node {
	t.Helper()
	n, err := New(Config{
		UDPAddr:   "127.0.0.1:0",
		TCPAddr:   "127.0.0.1:0",
		Domain:    testDomain,
		UserAgent: "Switchboard-test",
	}, testlog.New(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.Listen(ctx); err != nil {
		cancel()
		t.Fatalf("Listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		case <-time.After(replyTimeout):
			t.Errorf("Serve did not return after cancel")
		}
		// No ignores: once Serve has closed the user agent, sipgo keeps
		// no goroutine of its own (connection readers end with their
		// sockets, transaction timers are stopped). VerifyNone retries
		// for a while, which covers readers still unwinding.
		goleak.VerifyNone(t)
	})
	return n
}

// client returns a sipgo client with a user agent of its own, closed when
// the test ends (before the node's leak check, as cleanups run last first).
func client(t *testing.T) *sipgo.Client {
	t.Helper()
	log := testlog.New(t)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("probe"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)),
	)
	if err != nil {
		t.Fatalf("client UA: %v", err)
	}
	t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// do sends a request with method m to the node over transport and returns
// the final response.
func do(t *testing.T, c *sipgo.Client, n *Node, m sip.RequestMethod, transport string) *sip.Response {
	t.Helper()
	addr := n.UDPAddr()
	if transport == "TCP" {
		addr = n.TCPAddr()
	}
	host, port, err := sip.ParseAddr(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(m, sip.Uri{Scheme: "sip", User: "alice", Host: host, Port: port})
	req.SetTransport(transport)
	req.SetBody(nil) // Content-Length: 0, required on TCP
	ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
	defer cancel()
	res, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s over %s: %v", m, transport, err)
	}
	return res
}

func header(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func TestOptions(t *testing.T) {
	n := start(t)
	c := client(t)
	for _, transport := range []string{"UDP", "TCP"} {
		t.Run(transport, func(t *testing.T) {
			res := do(t, c, n, sip.OPTIONS, transport)
			if res.StatusCode != sip.StatusOK {
				t.Fatalf("status = %d %s, want 200", res.StatusCode, res.Reason)
			}
			want := map[string]string{
				"Allow":          "OPTIONS",
				"Accept":         "application/sdp",
				"Server":         "Switchboard-test",
				"Content-Length": "0",
			}
			for name, value := range want {
				if got := header(res, name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			if to := res.To(); to == nil || !to.Params.Has("tag") {
				t.Errorf("To has no tag: %v", res.To())
			}
		})
	}
}

func TestUnhandledMethods(t *testing.T) {
	n := start(t)
	c := client(t)
	tests := []struct {
		method sip.RequestMethod
		status int
	}{
		{method: sip.SUBSCRIBE, status: sip.StatusNotImplemented},
		{method: sip.REGISTER, status: sip.StatusNotImplemented},
		{method: sip.INFO, status: sip.StatusNotImplemented},
		{method: sip.RequestMethod("FROBNICATE"), status: sip.StatusNotImplemented},
		{method: sip.CANCEL, status: sip.StatusCallTransactionDoesNotExists},
	}
	for _, transport := range []string{"UDP", "TCP"} {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.method.String(), func(t *testing.T) {
				res := do(t, c, n, tt.method, transport)
				if res.StatusCode != tt.status {
					t.Fatalf("status = %d %s, want %d", res.StatusCode, res.Reason, tt.status)
				}
				if got := header(res, "Server"); got != "Switchboard-test" {
					t.Errorf("Server = %q", got)
				}
				if tt.status == sip.StatusNotImplemented && header(res, "Allow") != "OPTIONS" {
					t.Errorf("Allow = %q, want OPTIONS", header(res, "Allow"))
				}
			})
		}
	}
}

func TestLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	log := slog.New(slog.DiscardHandler)
	cfg := Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Domain: testDomain}

	t.Run("serve before listen", func(t *testing.T) {
		n, err := New(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if err := n.Serve(context.Background()); !errors.Is(err, ErrNotListening) {
			t.Errorf("Serve = %v, want ErrNotListening", err)
		}
		if n.UDPAddr() != nil || n.TCPAddr() != nil {
			t.Errorf("addresses before Listen = %v, %v; want nil", n.UDPAddr(), n.TCPAddr())
		}
	})

	t.Run("listen twice, close without serve", func(t *testing.T) {
		n, err := New(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Listen(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := n.Listen(context.Background()); !errors.Is(err, ErrListening) {
			t.Errorf("second Listen = %v, want ErrListening", err)
		}
		if err := n.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := n.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})

	t.Run("one transport only", func(t *testing.T) {
		tests := []struct {
			name     string
			cfg      Config
			udp, tcp bool
		}{
			{name: "UDP", cfg: Config{UDPAddr: "127.0.0.1:0", Domain: testDomain}, udp: true},
			{name: "TCP", cfg: Config{TCPAddr: "127.0.0.1:0", Domain: testDomain}, tcp: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n, err := New(tt.cfg, log)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				if err := n.Listen(ctx); err != nil {
					t.Fatal(err)
				}
				if (n.UDPAddr() != nil) != tt.udp || (n.TCPAddr() != nil) != tt.tcp {
					t.Errorf("addresses = %v, %v", n.UDPAddr(), n.TCPAddr())
				}
				done := make(chan error, 1)
				go func() { done <- n.Serve(ctx) }()
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Serve = %v, want nil", err)
				}
				if err := n.Serve(context.Background()); !errors.Is(err, ErrServing) {
					t.Errorf("Serve after Serve = %v, want ErrServing", err)
				}
			})
		}
	})

	t.Run("port taken", func(t *testing.T) {
		// UDP binds first; a TCP failure must release it again.
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		n, err := New(Config{UDPAddr: "127.0.0.1:0", TCPAddr: taken.Addr().String(), Domain: testDomain}, log)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if err := n.Listen(context.Background()); err == nil {
			t.Fatal("Listen on a taken TCP port succeeded")
		}
		if n.UDPAddr() != nil {
			t.Errorf("UDP socket kept after a failed Listen: %v", n.UDPAddr())
		}
	})
}

func TestNewValidates(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name   string
		cfg    Config
		logger *slog.Logger
		ok     bool
	}{
		{name: "both transports", cfg: Config{UDPAddr: "127.0.0.1:5060", TCPAddr: "127.0.0.1:5060", Domain: "pbx.example"}, logger: log, ok: true},
		{name: "UDP only", cfg: Config{UDPAddr: "[::]:5060", Domain: "pbx.example"}, logger: log, ok: true},
		{name: "no transport", cfg: Config{Domain: "pbx.example"}, logger: log},
		{name: "bad UDP address", cfg: Config{UDPAddr: "5060", Domain: "pbx.example"}, logger: log},
		{name: "bad TCP address", cfg: Config{UDPAddr: ":5060", TCPAddr: "localhost", Domain: "pbx.example"}, logger: log},
		{name: "empty domain", cfg: Config{UDPAddr: ":5060"}, logger: log},
		{name: "domain with a space", cfg: Config{UDPAddr: ":5060", Domain: "pbx example"}, logger: log},
		{name: "user agent with a line break", cfg: Config{UDPAddr: ":5060", Domain: "pbx.example", UserAgent: "x\r\nVia: evil"}, logger: log},
		{name: "nil logger", cfg: Config{UDPAddr: ":5060", Domain: "pbx.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := New(tt.cfg, tt.logger)
			if (err == nil) != tt.ok {
				t.Errorf("New(%+v) error = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
			if n != nil {
				n.Close()
			}
		})
	}
}

func TestDefaultUserAgent(t *testing.T) {
	n, err := New(Config{UDPAddr: ":5060", Domain: "pbx.example"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.cfg.UserAgent != DefaultUserAgent {
		t.Errorf("UserAgent = %q, want %q", n.cfg.UserAgent, DefaultUserAgent)
	}
	if !strings.Contains(n.allow, "OPTIONS") {
		t.Errorf("Allow = %q, want OPTIONS in it", n.allow)
	}
}
