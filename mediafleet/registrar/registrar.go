package registrar

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/digest"
)

// Config configures a Registrar. Zero values take the defaults named.
type Config struct {
	// Realm is the digest realm, the SIP domain phones are configured
	// with. Phones' HA1 digests are made for it. Required.
	Realm string
	// Node names this fleet node in the bindings it writes, so that other
	// nodes and the API know where a device is connected. Default: the
	// host name.
	Node string
	// UserAgent is the Server header of responses. Default "Switchboard".
	UserAgent string
	// NonceSecret keys the HMAC of nonces. Every node that may see the
	// answer to another node's challenge needs the same secret. Default:
	// random per process, which suits a single node (after a restart,
	// phones are challenged once more).
	NonceSecret []byte
	// PreferSHA256 lists the SHA-256 challenge before the MD5 one. A 401
	// always carries both (RFC 8760), and RFC 8760 asks the server to
	// list them most preferred first and the client to answer the first
	// it supports. Off by default: many desk phones, and sipp, read only
	// the first WWW-Authenticate and know only MD5, so they fail when it
	// offers SHA-256. With it off, clients that pick by algorithm still
	// answer with SHA-256, and both are verified the same way.
	PreferSHA256 bool
	// Challenges, when set, are the algorithms a 401 offers instead, one
	// challenge each, in this order: "MD5", "SHA-256". Some phones give
	// up on a 401 with a challenge they do not know and need MD5 alone.
	Challenges []string
	// NonceLifetime is how long a nonce is accepted before the answer is
	// a challenge with stale=true. Default 5 minutes.
	NonceLifetime time.Duration
	// MinExpires and MaxExpires bound a registration's interval: shorter
	// requests get 423 Interval Too Brief, longer ones are cut to the
	// maximum, which is also the interval when a REGISTER names none.
	// Defaults 60 s and 600 s.
	MinExpires time.Duration
	MaxExpires time.Duration
	// MaxContacts is how many bindings one device may hold; beyond it
	// the least recently refreshed go. Default 5.
	MaxContacts int
	// FailureLimit failed authentications within FailureWindow for one
	// device id, or SourceFailureLimit from one source address, block
	// that device or address for BlockFor: every REGISTER for or from it
	// is answered 403, even with the right password. An address often
	// carries many phones (an office's NAT), so one misconfigured phone
	// blocks itself long before its address. Defaults 10, 100, 5
	// minutes, 5 minutes.
	FailureLimit       int
	SourceFailureLimit int
	FailureWindow      time.Duration
	BlockFor           time.Duration
	// KeepAlive is how often live bindings get a NAT keep-alive (and how
	// often expired ones are swept). Default 25 s: NATs commonly drop idle
	// UDP mappings after 30 s.
	KeepAlive time.Duration
	// KeepAliveWorkers bounds the keep-alives in flight. Default 16.
	KeepAliveWorkers int
	// Clock is the time source. Default time.Now.
	Clock func() time.Time
}

// Defaults.
const (
	DefaultUserAgent        = "Switchboard"
	DefaultNonceLifetime    = 5 * time.Minute
	DefaultMinExpires       = 60 * time.Second
	DefaultMaxExpires       = 600 * time.Second
	DefaultMaxContacts      = 5
	DefaultFailureLimit     = 10
	DefaultSourceFailures   = 100
	DefaultFailureWindow    = 5 * time.Minute
	DefaultBlockFor         = 5 * time.Minute
	DefaultKeepAlive        = 25 * time.Second
	DefaultKeepAliveWorkers = 16
)

// maxTracked bounds the keys each failure limiter tracks.
const maxTracked = 100_000

func (c *Config) setDefaults() error {
	if len(c.Challenges) == 0 && c.PreferSHA256 {
		c.Challenges = []string{"SHA-256", "MD5"}
	}
	if c.Node == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("no Node and no host name: %w", err)
		}
		c.Node = host
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if len(c.NonceSecret) == 0 {
		c.NonceSecret = make([]byte, 32)
		_, _ = rand.Read(c.NonceSecret) // never fails; panics on a broken system
	}
	setDuration(&c.NonceLifetime, DefaultNonceLifetime)
	setDuration(&c.MinExpires, DefaultMinExpires)
	setDuration(&c.MaxExpires, DefaultMaxExpires)
	setDuration(&c.FailureWindow, DefaultFailureWindow)
	setDuration(&c.BlockFor, DefaultBlockFor)
	setDuration(&c.KeepAlive, DefaultKeepAlive)
	setInt(&c.MaxContacts, DefaultMaxContacts)
	setInt(&c.FailureLimit, DefaultFailureLimit)
	setInt(&c.SourceFailureLimit, DefaultSourceFailures)
	setInt(&c.KeepAliveWorkers, DefaultKeepAliveWorkers)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func setInt(n *int, def int) {
	if *n == 0 {
		*n = def
	}
}

func (c *Config) validate() error {
	var errs []error
	if _, err := digest.Algorithms(c.Challenges); err != nil {
		errs = append(errs, err)
	}
	if c.Realm == "" || strings.ContainsAny(c.Realm, "\"\\\r\n\t ") {
		errs = append(errs, fmt.Errorf("realm %q: want a host name", c.Realm))
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") || strings.ContainsAny(c.Node, "\r\n") {
		errs = append(errs, errors.New("UserAgent and Node must be one line"))
	}
	if len(c.NonceSecret) < 16 {
		errs = append(errs, errors.New("NonceSecret shorter than 16 bytes"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"NonceLifetime", c.NonceLifetime}, {"MinExpires", c.MinExpires}, {"MaxExpires", c.MaxExpires},
		{"FailureWindow", c.FailureWindow}, {"BlockFor", c.BlockFor}, {"KeepAlive", c.KeepAlive}} {
		if d.v < time.Second {
			errs = append(errs, fmt.Errorf("%s %v: want at least a second", d.name, d.v))
		}
	}
	if c.MinExpires > c.MaxExpires {
		errs = append(errs, fmt.Errorf("MinExpires %v above MaxExpires %v", c.MinExpires, c.MaxExpires))
	}
	if c.MaxContacts < 1 || c.FailureLimit < 1 || c.SourceFailureLimit < 1 || c.KeepAliveWorkers < 1 {
		errs = append(errs, errors.New("MaxContacts, FailureLimit, SourceFailureLimit and KeepAliveWorkers must be positive"))
	}
	return errors.Join(errs...)
}

// Directory is what the registrar reads about devices; *directory.Directory
// implements it.
type Directory interface {
	Credentials(deviceID string) (directory.Credentials, bool)
}

// Registrar answers REGISTER requests and holds the node's bindings.
type Registrar struct {
	cfg      Config
	log      *slog.Logger
	dir      Directory
	nonces   *digest.Nonces
	bySource *digest.Limiter
	byDevice *digest.Limiter
	bindings *bindings
	writer   *writer
	dates    dateCache
	algs     []digest.Algorithm // of the 401's challenges, in order
	server   sip.Header         // the Server field every answer shares
}

// New validates cfg and returns a registrar that authenticates devices
// from dir and writes bindings to st. Call Run to have the bindings
// written and kept alive.
func New(cfg Config, dir Directory, st Writer, logger *slog.Logger) (*Registrar, error) {
	if dir == nil || st == nil || logger == nil {
		return nil, errors.New("registrar: directory, store and logger are required")
	}
	sharedSecret := len(cfg.NonceSecret) > 0
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("registrar: config: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("registrar: config: %w", err)
	}
	algs, _ := digest.Algorithms(cfg.Challenges) // validated
	r := &Registrar{
		algs:     algs,
		cfg:      cfg,
		log:      logger.With("component", "registrar"),
		dir:      dir,
		nonces:   digest.NewNonces(cfg.NonceSecret, cfg.NonceLifetime),
		bySource: digest.NewLimiter(cfg.SourceFailureLimit, cfg.FailureWindow, cfg.BlockFor, maxTracked),
		byDevice: digest.NewLimiter(cfg.FailureLimit, cfg.FailureWindow, cfg.BlockFor, maxTracked),
		bindings: newBindings(),
		writer:   newWriter(st),
		server:   sip.NewHeader("Server", cfg.UserAgent),
	}
	r.log.Info("registrar configured", "realm", cfg.Realm, "node", cfg.Node,
		"expires_min", cfg.MinExpires.String(), "expires_max", cfg.MaxExpires.String(),
		"max_contacts", cfg.MaxContacts, "nonce_lifetime", cfg.NonceLifetime.String(),
		"nonce_secret_shared", sharedSecret, "challenges", fmt.Sprint(algs), "failure_limit", cfg.FailureLimit, "source_failure_limit", cfg.SourceFailureLimit,
		"failure_window", cfg.FailureWindow.String(), "block_for", cfg.BlockFor.String(),
		"keep_alive", cfg.KeepAlive.String())
	return r, nil
}

// ServeSIP answers one REGISTER inside its server transaction. It has the
// shape of the node's handlers (node.Handler).
func (r *Registrar) ServeSIP(req *sip.Request, tx sip.ServerTransaction) {
	res := r.handle(req)
	if err := tx.Respond(res); err != nil {
		r.log.Warn("sip response not sent", "method", "REGISTER", "status", res.StatusCode,
			"to", req.Source(), "error", err.Error())
	}
}

// Bindings returns the live bindings of a device held by this node,
// oldest registration first.
func (r *Registrar) Bindings(deviceID string) []Binding {
	return r.bindings.of(deviceID, r.cfg.Clock())
}
