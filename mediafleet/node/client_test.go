package node

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
)

// TestClient: a request sent through Client with the node's UDP address
// as Laddr leaves from the node's socket, its response comes back to its
// transaction, and a response that matches no transaction goes to Stray.
func TestClient(t *testing.T) {
	stray := make(chan *sip.Response, 1)
	n, err := New(Config{UDPAddr: "127.0.0.1:0", Domain: testDomain,
		Stray: func(res *sip.Response) { stray <- res }}, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.Listen(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	// sipgo sends from a socket only once it serves it.
	for i := 0; ; i++ {
		if c, err := n.ua.TransportLayer().GetConnection("udp", n.UDPAddr().String()); err == nil {
			_, _ = c.TryClose() // GetConnection took a reference
			break
		}
		if i == 1000 {
			t.Fatal("node socket not served")
		}
		time.Sleep(time.Millisecond)
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nodeAddr := n.UDPAddr().(*net.UDPAddr)
	pa := peer.LocalAddr().(*net.UDPAddr)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: pa.IP.String(), Port: pa.Port})
	req.SetTransport("UDP")
	req.Laddr = sip.Addr{IP: nodeAddr.IP, Port: nodeAddr.Port}
	tctx, tcancel := context.WithTimeout(ctx, replyTimeout)
	defer tcancel()
	tx, err := n.Client().TransactionRequest(tctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Terminate()

	buf := make([]byte, 4096)
	_ = peer.SetReadDeadline(time.Now().Add(replyTimeout))
	k, from, err := peer.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	if from.Port != nodeAddr.Port {
		t.Errorf("request from port %d, want the node's %d", from.Port, nodeAddr.Port)
	}
	got, err := sip.NewParser().ParseSIP(buf[:k])
	if err != nil {
		t.Fatal(err)
	}
	res := sip.NewResponseFromRequest(got.(*sip.Request), sip.StatusOK, "OK", nil)
	if _, err := peer.WriteToUDP([]byte(res.String()), from); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-tx.Responses():
		if r.StatusCode != sip.StatusOK {
			t.Errorf("response %d", r.StatusCode)
		}
	case <-tctx.Done():
		t.Fatal("no response in the transaction")
	}

	other := strings.Replace(res.String(), "branch=", "branch=z9hG4bKother", 1)
	if _, err := peer.WriteToUDP([]byte(other), from); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-stray:
		if r.StatusCode != sip.StatusOK {
			t.Errorf("stray response %d", r.StatusCode)
		}
	case <-tctx.Done():
		t.Fatal("stray response not handed to Stray")
	}
}
