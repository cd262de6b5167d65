package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/account"
)

// resolver is DNS the test controls: names to addresses.
func resolver(names map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		a, ok := names[host]
		if !ok {
			return nil, errors.New("no such host")
		}
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
}

// TestGuard checks the connect-time guard. Refused addresses are refused
// before any packet leaves: only loopback ever sees traffic.
func TestGuard(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	dns := resolver(map[string]string{
		"consumer.test": "127.0.0.1", "internal.test": "10.1.2.3", "metadata.test": "169.254.169.254",
	})
	strict := account.URLPolicy{BlockPrivate: true, Lookup: dns}
	open := account.URLPolicy{Lookup: dns}
	cases := []struct {
		name   string
		policy account.URLPolicy
		url    string
		want   error // nil: delivered
	}{
		{"loopback allowed locally", open, srv.URL, nil},
		{"name resolved by our DNS, allowed locally", open, "http://consumer.test:" + port + "/hook", nil},
		{"loopback literal", strict, srv.URL, ErrAddress},
		{"loopback by name", strict, "http://consumer.test:" + port + "/hook", ErrAddress},
		{"private literal", strict, "http://10.0.0.1:" + port + "/", ErrAddress},
		{"private by name", strict, "http://internal.test:" + port + "/", ErrAddress},
		{"link-local literal", strict, "http://169.254.169.254/latest/meta-data/", ErrAddress},
		{"link-local by name", strict, "http://metadata.test/latest/meta-data/", ErrAddress},
		{"IPv4-mapped loopback", strict, "http://[::ffff:127.0.0.1]:" + port + "/", ErrAddress},
		{"IPv6 loopback", strict, "http://[::1]:" + port + "/", ErrAddress},
		{"http where https is required", account.URLPolicy{RequireHTTPS: true}, srv.URL, ErrScheme},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			r := NewClient(time.Second, tc.policy).Post(context.Background(), tc.url, Request{Body: []byte("event=test"), ContentType: ContentTypeForm})
			switch {
			case tc.want == nil && !r.OK():
				t.Fatalf("not delivered: %s", r.Error())
			case tc.want != nil && !errors.Is(r.Err, tc.want):
				t.Fatalf("result %d %v, want %v", r.Status, r.Err, tc.want)
			case tc.want != nil && hits.Load() != before:
				t.Fatal("the consumer was reached")
			}
		})
	}
}

func TestPublicAddr(t *testing.T) {
	for a, want := range map[string]bool{
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "255.255.255.255": false, "224.0.0.1": false, "::1": false,
		"fe80::1": false, "fd00:ec2::254": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false,
		"1.1.1.1": true, "93.184.216.34": true, "2a00:1450:4001:82a::200e": true,
	} {
		if got := account.PublicAddr(netip.MustParseAddr(a)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", a, got, want)
		}
	}
}

// TestHangingConsumer: a consumer that never answers costs the timeout,
// then the request fails as timed out.
func TestHangingConsumer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	r := NewClient(50*time.Millisecond, account.URLPolicy{}).Post(context.Background(), srv.URL, Request{Body: []byte("x"), ContentType: ContentTypeForm})
	if !errors.Is(r.Err, context.DeadlineExceeded) || !strings.Contains(r.Error(), "timed out") {
		t.Fatalf("result %d %v, want a timeout", r.Status, r.Err)
	}
}

// TestNoRedirects: a redirect is the consumer's answer, not followed.
func TestNoRedirects(t *testing.T) {
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	r := NewClient(time.Second, account.URLPolicy{}).Post(context.Background(), srv.URL, Request{Body: []byte("x"), ContentType: ContentTypeForm})
	if r.Status != http.StatusTemporaryRedirect || r.OK() || followed.Load() {
		t.Fatalf("status %d, followed %v", r.Status, followed.Load())
	}
}
