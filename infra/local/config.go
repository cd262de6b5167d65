package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/shared/config"
)

// Config is the local stack's configuration. Every setting has a flag and
// an environment variable; flags win over the environment, the environment
// over the defaults, and the defaults run a complete PBX on this machine.
type Config struct {
	Data      string // folder of the database file and the outbox
	HTTP      string // API and console
	SIPUDP    string // SIP over UDP; "off" disables it
	SIPTCP    string // SIP over TCP; "off" disables it
	STUN      string // STUN over UDP; "off" disables it
	SIPDomain string // SIP domain and digest realm
	LogFormat string // text or json
	LogLevel  string // debug, info, warn, error
	// Attempt limits per client address (sign-ups per hour, logins per 15
	// minutes); load tests raise them.
	SignupLimit string
	LoginLimit  string
	// The SIP trunk external numbers (and 110/112) go out through:
	// host:port, empty for none; its digest credentials, if it asks.
	Trunk         string
	TrunkUser     string
	TrunkPassword string
	// How long a call rings before the caller gets 480 (or a noAnswer
	// forwarding rule applies).
	NoAnswer string
	// How long a webhook request, and the wait for a steering answer,
	// may take before the call goes on as routed; the first retry delay
	// of a queued event that failed (doubling from there).
	WebhookTimeout string
	WebhookRetry   string
	// The digest algorithms phones are challenged with, in order.
	SIPDigest string
}

// setting is one configuration entry.
type setting struct {
	flag, env, def, usage string
	dst                   *string
}

func (c *Config) settings() []setting {
	return []setting{
		{"data", "SWITCHBOARD_DATA", "./data", "folder for the database file and the e-mail outbox", &c.Data},
		{"http", "SWITCHBOARD_HTTP", "127.0.0.1:8080", "address of the HTTP API and console", &c.HTTP},
		{"sip-udp", "SWITCHBOARD_SIP_UDP", "127.0.0.1:5060", `SIP over UDP address ("off" to disable)`, &c.SIPUDP},
		{"sip-tcp", "SWITCHBOARD_SIP_TCP", "127.0.0.1:5060", `SIP over TCP address ("off" to disable)`, &c.SIPTCP},
		{"stun", "SWITCHBOARD_STUN", "127.0.0.1:10000", `STUN over UDP address ("off" to disable)`, &c.STUN},
		{"sip-domain", "SWITCHBOARD_SIP_DOMAIN", "switchboard.local", "SIP domain and digest realm", &c.SIPDomain},
		{"log-format", "SWITCHBOARD_LOG_FORMAT", "text", "log format: text or json", &c.LogFormat},
		{"log-level", "SWITCHBOARD_LOG_LEVEL", "info", "log level: debug, info, warn or error", &c.LogLevel},
		{"signup-limit", "SWITCHBOARD_SIGNUP_LIMIT", "20", "sign-ups per client address and hour", &c.SignupLimit},
		{"login-limit", "SWITCHBOARD_LOGIN_LIMIT", "100", "logins per client address and 15 minutes", &c.LoginLimit},
		{"trunk", "SWITCHBOARD_TRUNK", "", "SIP trunk host:port for external numbers (empty: none)", &c.Trunk},
		{"trunk-user", "SWITCHBOARD_TRUNK_USER", "", "user name for the trunk's digest challenges", &c.TrunkUser},
		{"trunk-password", "SWITCHBOARD_TRUNK_PASSWORD", "", "password for the trunk's digest challenges", &c.TrunkPassword},
		{"sip-digest", "SWITCHBOARD_SIP_DIGEST", "md5,sha-256", "digest algorithms phones are challenged with, in order (md5, sha-256)", &c.SIPDigest},
		{"no-answer", "SWITCHBOARD_NO_ANSWER", "30s", "how long a call rings before it counts as not answered", &c.NoAnswer},
		{"webhook-timeout", "SWITCHBOARD_WEBHOOK_TIMEOUT", "3s", "longest wait for a webhook's answer; a call then goes on as routed", &c.WebhookTimeout},
		{"webhook-retry", "SWITCHBOARD_WEBHOOK_RETRY", "30s", "first retry delay of a failed webhook event (doubled per attempt, up to an hour)", &c.WebhookRetry},
	}
}

// off is the address value that disables a listener.
const off = "off"

// Load reads the configuration from args and the environment. A help
// request returns flag.ErrHelp after printing the usage to out.
func Load(args []string, getenv config.Getenv, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(out)
	for _, s := range c.settings() {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.flag, def, s.usage+" (env "+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	for _, a := range []struct{ name, addr string }{{"http", c.HTTP}, {"sip-udp", c.SIPUDP}, {"sip-tcp", c.SIPTCP}, {"stun", c.STUN}} {
		if a.addr == off && a.name != "http" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("-%s %q: want host:port", a.name, a.addr))
		}
	}
	for _, l := range []struct{ name, v string }{{"signup-limit", c.SignupLimit}, {"login-limit", c.LoginLimit}} {
		if n, err := strconv.Atoi(l.v); err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("-%s %q: want a positive number", l.name, l.v))
		}
	}
	if c.Trunk != "" {
		if _, _, err := net.SplitHostPort(c.Trunk); err != nil {
			errs = append(errs, fmt.Errorf("-trunk %q: want host:port", c.Trunk))
		}
	}
	for _, d := range []struct{ name, v string }{{"no-answer", c.NoAnswer}, {"webhook-timeout", c.WebhookTimeout}, {"webhook-retry", c.WebhookRetry}} {
		if v, err := time.ParseDuration(d.v); err != nil || v <= 0 || v > time.Hour {
			errs = append(errs, fmt.Errorf("-%s %q: want a duration such as 3s, at most 1h", d.name, d.v))
		}
	}
	if _, err := fleet.ParseChallenges(c.SIPDigest); err != nil {
		errs = append(errs, fmt.Errorf("-sip-digest %q: %w", c.SIPDigest, err))
	}
	if strings.TrimSpace(c.Data) == "" {
		errs = append(errs, errors.New("-data: empty"))
	}
	if c.SIPDomain == "" || strings.ContainsAny(c.SIPDomain, " \t\r\n\"<>") {
		errs = append(errs, fmt.Errorf("-sip-domain %q: want a host name", c.SIPDomain))
	}
	return errors.Join(errs...)
}

// Limits are the attempt limits as numbers (validated by Load).
func (c Config) Limits() (signups, logins int) {
	signups, _ = strconv.Atoi(c.SignupLimit)
	logins, _ = strconv.Atoi(c.LoginLimit)
	return signups, logins
}

// Durations are the timing settings as durations (validated by Load).
func (c Config) Durations() (noAnswer, webhookTimeout, webhookRetry time.Duration) {
	noAnswer, _ = time.ParseDuration(c.NoAnswer)
	webhookTimeout, _ = time.ParseDuration(c.WebhookTimeout)
	webhookRetry, _ = time.ParseDuration(c.WebhookRetry)
	return noAnswer, webhookTimeout, webhookRetry
}

// Outbox is the folder the local stack's e-mails are written to.
func (c Config) Outbox() string { return filepath.Join(c.Data, "outbox") }

// DBPath is the database file.
func (c Config) DBPath() string { return filepath.Join(c.Data, "switchboard.db") }

// LogAttrs lists the configuration for the start-up log line (nothing in
// it is secret).
func (c Config) LogAttrs() []any {
	return []any{"data", c.Data, "http", c.HTTP, "sip_udp", c.SIPUDP, "sip_tcp", c.SIPTCP,
		"stun", c.STUN, "sip_domain", c.SIPDomain, "log_format", c.LogFormat, "log_level", c.LogLevel,
		"signup_limit", c.SignupLimit, "login_limit", c.LoginLimit, "trunk", c.Trunk, "trunk_user", c.TrunkUser,
		"trunk_password_set", c.TrunkPassword != "", "no_answer", c.NoAnswer, "webhook_timeout", c.WebhookTimeout,
		"webhook_retry", c.WebhookRetry, "sip_digest", c.SIPDigest}
}
