package node

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// startWith is start with routes added to the node's table.
func startWith(t *testing.T, routes []Route) *Node {
	t.Helper()
	n, err := New(Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Domain: testDomain,
		UserAgent: "Switchboard-test", Routes: routes}, testlog.New(t))
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
		goleak.VerifyNone(t)
	})
	return n
}

func TestConfigRoutes(t *testing.T) {
	answer := func(code int) Handler {
		return func(req *sip.Request, tx sip.ServerTransaction) {
			_ = tx.Respond(sip.NewResponseFromRequest(req, code, "Test", nil))
		}
	}
	bad := []struct {
		name   string
		routes []Route
	}{
		{"no handler", []Route{{Method: sip.REGISTER}}},
		{"OPTIONS twice", []Route{{Method: sip.OPTIONS, Handle: answer(200)}}},
		{"method twice", []Route{{Method: sip.REGISTER, Handle: answer(200)}, {Method: sip.REGISTER, Handle: answer(200)}}},
		{"empty method", []Route{{Method: "", Handle: answer(200)}}},
		{"method with a comma", []Route{{Method: "A,B", Handle: answer(200)}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(Config{UDPAddr: "127.0.0.1:0", Domain: testDomain, Routes: tt.routes}, slog.New(slog.DiscardHandler)); err == nil {
				t.Error("New accepted the routes")
			}
		})
	}

	t.Run("mounted", func(t *testing.T) {
		n, err := New(Config{UDPAddr: "127.0.0.1:0", Domain: testDomain,
			Routes: []Route{{Method: sip.REGISTER, Handle: answer(299)}}}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if n.allow != "OPTIONS, REGISTER" {
			t.Errorf("Allow = %q", n.allow)
		}
	})
}

// TestRouteAnswers checks that a configured route gets its requests, over
// both transports, behind the node's own checks.
func TestRouteAnswers(t *testing.T) {
	n := startWith(t, []Route{{Method: sip.REGISTER, Handle: func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 299, "Routed", nil))
	}}})
	c := client(t)
	for _, transport := range []string{"UDP", "TCP"} {
		if res := do(t, c, n, sip.REGISTER, transport); res.StatusCode != 299 {
			t.Errorf("REGISTER over %s: %d, want the route's 299", transport, res.StatusCode)
		}
		if res := do(t, c, n, sip.OPTIONS, transport); header(res, "Allow") != "OPTIONS, REGISTER" {
			t.Errorf("Allow over %s = %q", transport, header(res, "Allow"))
		}
	}
}
