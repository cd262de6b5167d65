package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/shared/account"
)

// DefaultTimeout bounds one request: connect, send, and the answer.
const DefaultTimeout = 3 * time.Second

// ErrAddress is returned for a URL whose host is not a public address
// while the policy blocks private ones.
var ErrAddress = errors.New("webhook: address not allowed")

// ErrScheme is returned for an http URL while the policy requires https.
var ErrScheme = errors.New("webhook: https required")

// Client posts webhook requests. It follows no redirects, uses no proxy,
// and, when the policy blocks private addresses, checks every address it
// connects to (after resolution, in the dialer), so neither a DNS answer
// that changed since the settings were saved nor a redirect reaches into
// Switchboard's own network.
type Client struct {
	hc      *http.Client
	timeout time.Duration
	policy  account.URLPolicy
}

// NewClient returns a client with a timeout per request (0: DefaultTimeout).
func NewClient(timeout time.Duration, policy account.URLPolicy) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &Client{timeout: timeout, policy: policy}
	dialer := &net.Dialer{Timeout: timeout, Control: c.control}
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         c.dial(dialer),
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: timeout,
	}
	c.hc = &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// control runs after resolution, right before connect: the last place to
// refuse an address.
func (c *Client) control(_, address string, _ syscall.RawConn) error {
	if !c.policy.BlockPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrAddress, address)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !account.PublicAddr(a) {
		return fmt.Errorf("%w: %s", ErrAddress, host)
	}
	return nil
}

// dial resolves with the policy's resolver when it has one (tests control
// DNS that way) and connects to the first address that answers.
func (c *Client) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if c.policy.Lookup == nil {
		return d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return d.DialContext(ctx, network, addr)
		}
		addrs, err := c.policy.Lookup(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		var errs []error
		for _, a := range addrs {
			conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
		}
		if len(errs) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
		return nil, errors.Join(errs...)
	}
}

// Request is what a Post sends besides the URL.
type Request struct {
	Body        []byte
	ContentType string
	EventID     string
	Secret      []byte    // signs the request; nil sends no signature
	Time        time.Time // of the signature
}

// Result is what the delivery log records of one attempt.
type Result struct {
	Status      int // 0 when no answer came
	Latency     time.Duration
	Err         error
	Body        []byte // the answer, up to MaxResponseSize
	ContentType string
}

// OK reports whether the consumer took the request (a 2xx answer).
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Error describes a failed attempt for the log: the transport error, or
// the status.
func (r Result) Error() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case !r.OK():
		return "answered " + strconv.Itoa(r.Status) + " " + http.StatusText(r.Status)
	}
	return ""
}

// Post sends one signed request and waits at most the client's timeout
// for the whole exchange.
func (c *Client) Post(ctx context.Context, rawURL string, req Request) Result {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Result{Err: fmt.Errorf("webhook: not an http(s) URL")}
	}
	if c.policy.RequireHTTPS && u.Scheme != "https" {
		return Result{Err: ErrScheme}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(req.Body))
	if err != nil {
		return Result{Err: err}
	}
	hr.Header.Set("Content-Type", req.ContentType)
	hr.Header.Set("User-Agent", "Switchboard-Webhooks/1")
	if req.EventID != "" {
		hr.Header.Set(HeaderEventID, req.EventID)
	}
	if req.Secret != nil {
		ts := req.Time.Unix()
		hr.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		hr.Header.Set(HeaderSignature, Sign(req.Secret, ts, req.Body))
	}
	start := time.Now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		return Result{Latency: time.Since(start), Err: cleanErr(ctx, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	res := Result{Status: resp.StatusCode, Latency: time.Since(start), Body: body, ContentType: resp.Header.Get("Content-Type")}
	if err != nil {
		res.Err = cleanErr(ctx, err)
	}
	return res
}

// cleanErr names a timeout as such, and drops the method and URL net/http
// repeats in its errors (the log shows the URL once).
func cleanErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}
