package stun

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/stun/v2"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// answerTimeout bounds every wait for an answer on loopback. It is generous
// on purpose: tests assert behaviour, and a slow machine must not fail them.
const answerTimeout = 5 * time.Second

// serve binds a Server on addr, serves it in a goroutine and returns it.
// The cleanup cancels Serve, checks that it returned nil and that no
// goroutine of the server is left.
func serve(t *testing.T, addr string) *Server {
	t.Helper()
	srv, err := New(Config{Addr: addr}, testlog.New(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		cancel()
		if isNoIPv6(addr, err) {
			t.Skipf("IPv6 loopback cannot be bound here: %v", err)
		}
		t.Fatalf("Listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		case <-time.After(answerTimeout):
			t.Errorf("Serve did not return after cancel")
		}
		goleak.VerifyNone(t)
	})
	return srv
}

func isNoIPv6(addr string, err error) bool {
	ap, perr := netip.ParseAddrPort(addr)
	return perr == nil && ap.Addr().Is6() && err != nil
}

// dial opens a client socket connected to the server.
func dial(t *testing.T, srv *Server) *net.UDPConn {
	t.Helper()
	raddr := srv.Addr().(*net.UDPAddr)
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatalf("dial %s: %v", raddr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestBindingWithPionClient(t *testing.T) {
	tests := []struct {
		name string
		addr string
	}{
		{name: "IPv4 loopback", addr: "127.0.0.1:0"},
		{name: "IPv6 loopback", addr: "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.addr)
			conn := dial(t, srv)
			// The client closes conn itself: its reader only stops when
			// the socket is closed.
			client, err := stun.NewClient(conn)
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			defer func() {
				if err := client.Close(); err != nil {
					t.Errorf("client Close: %v", err)
				}
			}()

			req := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
			var (
				res    *stun.Message
				resErr error
			)
			err = client.Do(req, func(e stun.Event) {
				resErr = e.Error
				if e.Message != nil {
					res = new(stun.Message)
					resErr = errors.Join(resErr, e.Message.CloneTo(res))
				}
			})
			if err != nil || resErr != nil {
				t.Fatalf("Do: %v, event: %v", err, resErr)
			}
			checkSuccess(t, res, req.TransactionID, conn.LocalAddr().(*net.UDPAddr))
		})
	}
}

// checkSuccess asserts that res is a Binding Success Response to the
// transaction tid that maps to want.
func checkSuccess(t *testing.T, res *stun.Message, tid [stun.TransactionIDSize]byte, want *net.UDPAddr) {
	t.Helper()
	if res.Type != stun.BindingSuccess {
		t.Fatalf("type = %v, want %v", res.Type, stun.BindingSuccess)
	}
	if res.TransactionID != tid {
		t.Errorf("transaction id = %x, want %x", res.TransactionID, tid)
	}
	var xor stun.XORMappedAddress
	if err := xor.GetFrom(res); err != nil {
		t.Fatalf("XOR-MAPPED-ADDRESS: %v", err)
	}
	if !xor.IP.Equal(want.IP) || xor.Port != want.Port {
		t.Errorf("XOR-MAPPED-ADDRESS = %s, want %s", xor, want)
	}
	var mapped stun.MappedAddress
	if err := mapped.GetFrom(res); err != nil {
		t.Fatalf("MAPPED-ADDRESS: %v", err)
	}
	if !mapped.IP.Equal(want.IP) || mapped.Port != want.Port {
		t.Errorf("MAPPED-ADDRESS = %s, want %s", mapped, want)
	}
	var software stun.Software
	if err := software.GetFrom(res); err != nil || software.String() != Software {
		t.Errorf("SOFTWARE = %q (%v), want %q", software, err, Software)
	}
	if err := stun.Fingerprint.Check(res); err != nil {
		t.Errorf("FINGERPRINT: %v", err)
	}
}

// malformed lists datagrams the server must not answer. Each is built from
// a valid request so that the corruption is the only thing wrong with it.
func malformed(t *testing.T) []struct {
	name string
	data []byte
} {
	t.Helper()
	good := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint).Raw

	random := make([]byte, 64)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}

	badFingerprint := bytes.Clone(good)
	badFingerprint[len(badFingerprint)-1] ^= 0xFF

	trailing := append(bytes.Clone(good), 0, 0, 0, 0)

	// A FINGERPRINT that is valid for the bytes before it but is followed by
	// another attribute: RFC 5389 requires it to be last.
	notLast := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	notLast.Add(stun.AttrSoftware, []byte("late"))

	return []struct {
		name string
		data []byte
	}{
		{name: "empty datagram", data: []byte{}},
		{name: "random bytes", data: random},
		{name: "truncated header", data: good[:10]},
		{name: "header only of a longer message", data: good[:20]},
		{name: "trailing bytes after the message", data: trailing},
		{name: "binding success response", data: stun.MustBuild(stun.TransactionID, stun.BindingSuccess, stun.Fingerprint).Raw},
		{name: "binding error response", data: stun.MustBuild(stun.TransactionID, stun.BindingError).Raw},
		{name: "binding indication", data: stun.MustBuild(stun.TransactionID, stun.NewType(stun.MethodBinding, stun.ClassIndication)).Raw},
		{name: "allocate request", data: stun.MustBuild(stun.TransactionID, stun.NewType(stun.MethodAllocate, stun.ClassRequest)).Raw},
		{name: "corrupted fingerprint", data: badFingerprint},
		{name: "fingerprint not last", data: notLast.Raw},
		{name: "SIP keep-alive", data: []byte("\r\n\r\n")},
		{name: "SIP request", data: []byte("OPTIONS sip:10.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n")},
	}
}

func TestMalformedIgnored(t *testing.T) {
	srv := serve(t, "127.0.0.1:0")
	conn := dial(t, srv)
	for _, tt := range malformed(t) {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := conn.Write(tt.data); err != nil {
				t.Fatalf("write malformed: %v", err)
			}
			// The server handles datagrams in order on one socket, so if
			// it answered the malformed one, that answer would arrive
			// before the answer to this good request. No sleep needed.
			req := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
			if _, err := conn.Write(req.Raw); err != nil {
				t.Fatalf("write request: %v", err)
			}
			res := readAnswer(t, conn)
			checkSuccess(t, res, req.TransactionID, conn.LocalAddr().(*net.UDPAddr))
		})
	}
}

func readAnswer(t *testing.T, conn *net.UDPConn) *stun.Message {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(answerTimeout)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	res := new(stun.Message)
	if err := stun.Decode(buf[:n], res); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return res
}

func TestUnknownAttributeOverSocket(t *testing.T) {
	srv := serve(t, "127.0.0.1:0")
	conn := dial(t, srv)
	req := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
	req.Add(attrChangeRequest, []byte{0, 0, 0, 6})
	if err := stun.Fingerprint.AddTo(req); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(req.Raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	res := readAnswer(t, conn)
	checkUnknown(t, res, req.TransactionID, []stun.AttrType{attrChangeRequest})
}

func TestLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	log := slog.New(slog.DiscardHandler)

	t.Run("serve before listen", func(t *testing.T) {
		srv, err := New(Config{Addr: "127.0.0.1:0"}, log)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Serve(context.Background()); !errors.Is(err, ErrNotListening) {
			t.Errorf("Serve = %v, want ErrNotListening", err)
		}
		if srv.Addr() != nil {
			t.Errorf("Addr before Listen = %v, want nil", srv.Addr())
		}
	})

	t.Run("listen twice, serve twice, close", func(t *testing.T) {
		srv, err := New(Config{Addr: "127.0.0.1:0"}, log)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := srv.Listen(ctx); err != nil {
			t.Fatal(err)
		}
		if err := srv.Listen(ctx); !errors.Is(err, ErrListening) {
			t.Errorf("second Listen = %v, want ErrListening", err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx) }()
		// Once a request is answered the first Serve is running, so the
		// second one must refuse at once.
		conn := dial(t, srv)
		req := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
		if _, err := conn.Write(req.Raw); err != nil {
			t.Fatal(err)
		}
		readAnswer(t, conn)
		if err := srv.Serve(ctx); !errors.Is(err, ErrServing) {
			t.Errorf("second Serve = %v, want ErrServing", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close after Serve = %v, want nil", err)
		}
	})

	t.Run("close without serve", func(t *testing.T) {
		srv, err := New(Config{Addr: "127.0.0.1:0"}, log)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Listen(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("second Close = %v", err)
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
		{name: "valid", cfg: Config{Addr: "127.0.0.1:10000"}, logger: log, ok: true},
		{name: "valid IPv6", cfg: Config{Addr: "[::]:10000"}, logger: log, ok: true},
		{name: "empty address", cfg: Config{}, logger: log},
		{name: "no port", cfg: Config{Addr: "127.0.0.1"}, logger: log},
		{name: "nil logger", cfg: Config{Addr: "127.0.0.1:10000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.logger)
			if (err == nil) != tt.ok {
				t.Errorf("New(%+v) error = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}

func TestListenError(t *testing.T) {
	// Bind a port, then ask a second server for the same one.
	first := serve(t, "127.0.0.1:0")
	srv, err := New(Config{Addr: first.Addr().String()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(context.Background()); err == nil {
		srv.Close()
		t.Fatal("Listen on a bound port succeeded, want an error")
	}
}
