package calls

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	sipdigest "github.com/switchboard/switchboard/mediafleet/internal/digest"

	"github.com/switchboard/switchboard/shared/phone"
)

// Config configures a Router. Zero values take the defaults named.
type Config struct {
	// Realm is the digest realm phones authenticate their INVITEs in: the
	// SIP domain, the same as the registrar's. Required.
	Realm string
	// UserAgent names the B2BUA in Server and User-Agent headers.
	// Default "Switchboard".
	UserAgent string
	// Bind is the host:port of the B2BUA's own UDP socket, from which it
	// sends the requests it originates (INVITEs to callees and the trunk,
	// BYE, CANCEL, re-INVITE) and on which their responses arrive, when
	// Deps.Node is nil. With a node, requests leave from the node's
	// sockets and Bind is unused. Default 127.0.0.1:0 (any free port).
	Bind string
	// Advertise is the address the B2BUA writes into its Via and Contact
	// headers instead of its socket's: the node's public address where
	// phones reach it through one-to-one NAT (an Elastic IP on AWS).
	// Zero: the socket's own address.
	Advertise netip.Addr
	// Region is the country national numbers are read in. Default "DE".
	Region string
	// Trunk is the upstream SIP trunk for external numbers. Without one,
	// external numbers (emergency numbers included) cannot be reached.
	Trunk Trunk
	// NoAnswer is how long a call rings before the caller gets 480
	// Temporarily Unavailable (or a noAnswer forwarding applies). Default
	// 30 s.
	NoAnswer time.Duration
	// AckTimeout is how long the B2BUA retransmits its 200 to a caller
	// over UDP waiting for the ACK before it ends the call. Default 32 s
	// (64*T1, RFC 3261 section 13.3.1.4).
	AckTimeout time.Duration
	// Hangup bounds each BYE and CANCEL the B2BUA sends while ending a
	// call, so that stopping never waits on a phone that went away.
	// Default 4 s.
	Hangup time.Duration
	// Challenges are the digest algorithms a 407 offers, one challenge
	// each, in this order: "MD5" and "SHA-256" (RFC 8760). Default both,
	// MD5 first (phones that read only the first know only MD5); some
	// phones give up on a challenge they do not know, and need MD5 alone.
	Challenges []string
	// NonceSecret keys the HMAC of the digest nonces of 407 challenges.
	// Default: random per process.
	NonceSecret []byte
	// PeerKey keys the header with which fleet nodes pass calls to each
	// other's phones (peer.go); nodes that do need the same one. Empty:
	// calls are neither passed on nor taken from other nodes.
	PeerKey []byte
	// NonceLifetime is how long a nonce is accepted. Default 5 minutes.
	NonceLifetime time.Duration
	// FailureLimit failed authentications within FailureWindow for one
	// device, or SourceFailureLimit from one source address, block it for
	// BlockFor (every INVITE answered 403). Defaults 10, 100, 5 minutes,
	// 5 minutes, as the registrar's: an address often carries many phones.
	FailureLimit       int
	SourceFailureLimit int
	FailureWindow      time.Duration
	BlockFor           time.Duration
	// SteerTimeout bounds each wait for an integration's steering
	// answer (newCall, a Gather's digits) and each prompt's download:
	// the call then goes on as routed. Default 3 s.
	SteerTimeout time.Duration
	// Clock is the time source of nonces, limits and call records.
	// Default time.Now.
	Clock func() time.Time
}

// Trunk is an upstream SIP trunk: where calls to external numbers go, and
// whose calls to the accounts' numbers are accepted without digest
// authentication.
type Trunk struct {
	// Address is the trunk's host:port (a host name or an address).
	// Empty: no trunk.
	Address string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Username and Password answer the trunk's digest challenges, when
	// it sends any.
	Username string
	Password string
	// Sources are the addresses the trunk's calls come from, each an
	// address with or without a port. Default: Address, port included,
	// so that phones on the trunk's host are not mistaken for it.
	Sources []string
}

// Defaults.
const (
	DefaultUserAgent      = "Switchboard"
	DefaultBind           = "127.0.0.1:0"
	DefaultNoAnswer       = 30 * time.Second
	DefaultAckTimeout     = 64 * 500 * time.Millisecond
	DefaultHangup         = 4 * time.Second
	DefaultNonceLifetime  = 5 * time.Minute
	DefaultFailureLimit   = 10
	DefaultSourceFailures = 100
	DefaultFailureWindow  = 5 * time.Minute
	DefaultBlockFor       = 5 * time.Minute
	DefaultSteerTimeout   = 3 * time.Second
)

func (c *Config) setDefaults() {
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Bind == "" {
		c.Bind = DefaultBind
	}
	if c.Region == "" {
		c.Region = phone.DefaultRegion
	}
	if c.Trunk.Address != "" && c.Trunk.Transport == "" {
		c.Trunk.Transport = "udp"
	}
	c.Trunk.Transport = strings.ToLower(c.Trunk.Transport)
	if c.Trunk.Address != "" && len(c.Trunk.Sources) == 0 {
		c.Trunk.Sources = []string{c.Trunk.Address}
	}
	if len(c.NonceSecret) == 0 {
		c.NonceSecret = make([]byte, 32)
		_, _ = rand.Read(c.NonceSecret) // never fails; panics on a broken system
	}
	setDuration(&c.NoAnswer, DefaultNoAnswer)
	setDuration(&c.AckTimeout, DefaultAckTimeout)
	setDuration(&c.Hangup, DefaultHangup)
	setDuration(&c.NonceLifetime, DefaultNonceLifetime)
	setDuration(&c.FailureWindow, DefaultFailureWindow)
	setDuration(&c.BlockFor, DefaultBlockFor)
	setDuration(&c.SteerTimeout, DefaultSteerTimeout)
	if c.SourceFailureLimit == 0 {
		c.SourceFailureLimit = DefaultSourceFailures
	}
	if c.FailureLimit == 0 {
		c.FailureLimit = DefaultFailureLimit
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.Realm == "" || strings.ContainsAny(c.Realm, "\"\\\r\n\t ;,@<>") {
		errs = append(errs, fmt.Errorf("realm %q: want a host name", c.Realm))
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		errs = append(errs, errors.New("UserAgent must be one line"))
	}
	if _, _, err := net.SplitHostPort(c.Bind); err != nil {
		errs = append(errs, fmt.Errorf("bind %q: %w", c.Bind, err))
	}
	if c.Trunk.Address != "" {
		if _, _, err := sip.ParseAddr(c.Trunk.Address); err != nil || strings.ContainsAny(c.Trunk.Address, " ;<>\"") {
			errs = append(errs, fmt.Errorf("trunk address %q: want host:port", c.Trunk.Address))
		}
		if c.Trunk.Transport != "udp" && c.Trunk.Transport != "tcp" {
			errs = append(errs, fmt.Errorf("trunk transport %q: want udp or tcp", c.Trunk.Transport))
		}
	}
	if _, err := sipdigest.Algorithms(c.Challenges); err != nil {
		errs = append(errs, err)
	}
	if len(c.NonceSecret) < 16 {
		errs = append(errs, errors.New("NonceSecret shorter than 16 bytes"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"NoAnswer", c.NoAnswer}, {"AckTimeout", c.AckTimeout}, {"Hangup", c.Hangup},
		{"NonceLifetime", c.NonceLifetime}, {"FailureWindow", c.FailureWindow}, {"BlockFor", c.BlockFor}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v: negative", d.name, d.v))
		}
	}
	if c.FailureLimit < 1 || c.SourceFailureLimit < 1 {
		errs = append(errs, errors.New("FailureLimit must be positive"))
	}
	return errors.Join(errs...)
}

// logAttrs lists the configuration for the start-up log line, without
// secrets.
func (c *Config) logAttrs() []any {
	return []any{"realm", c.Realm, "bind", c.Bind, "region", c.Region,
		"trunk", c.Trunk.Address, "trunk_transport", c.Trunk.Transport, "trunk_auth", c.Trunk.Username != "",
		"no_answer", c.NoAnswer.String(), "failure_limit", c.FailureLimit, "advertise", c.Advertise.String()}
}
