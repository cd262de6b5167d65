package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/shared/config"
)

// Config is the fleet service's configuration, read from the environment
// (the systemd unit's environment file on EC2).
type Config struct {
	Table            string
	DynamoDBEndpoint string
	SIPDomain        string
	NodeID           string
	PublicIP         netip.Addr
	PrivateIP        netip.Addr
	FleetSecretARN   string
	FleetSecret      string // the secret's value itself, for tests; never logged
	SyncAddr         string
	SIPUDP           string
	SIPTCP           string
	STUN             string
	RTPPortMin       int
	RTPPortMax       int
	Trunk            string
	SIPDigest        []string
	TrunkUser        string
	TrunkPassword    string
	EventQueueURL    string
	KMSKeyID         string
	Heartbeat        time.Duration
	LogFormat        string
	LogLevel         string
}

// minSecret is the shortest fleet secret accepted.
const minSecret = 32

// Load reads the configuration from the environment and validates it.
func Load(getenv config.Getenv) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Table:            get("SWITCHBOARD_TABLE", ""),
		DynamoDBEndpoint: get("SWITCHBOARD_DYNAMODB_ENDPOINT", ""),
		SIPDomain:        get("SWITCHBOARD_SIP_DOMAIN", ""),
		NodeID:           get("SWITCHBOARD_NODE_ID", ""),
		FleetSecretARN:   get("SWITCHBOARD_FLEET_SECRET_ARN", ""),
		FleetSecret:      getenv("SWITCHBOARD_FLEET_SECRET"),
		SyncAddr:         get("SWITCHBOARD_SYNC_ADDR", ":7070"),
		SIPUDP:           get("SWITCHBOARD_SIP_UDP", ":5060"),
		SIPTCP:           get("SWITCHBOARD_SIP_TCP", ":5060"),
		STUN:             get("SWITCHBOARD_STUN", ":10000"),
		Trunk:            get("SWITCHBOARD_TRUNK", ""),
		TrunkUser:        get("SWITCHBOARD_TRUNK_USER", ""),
		TrunkPassword:    getenv("SWITCHBOARD_TRUNK_PASSWORD"),
		EventQueueURL:    get("SWITCHBOARD_EVENT_QUEUE_URL", ""),
		KMSKeyID:         get("SWITCHBOARD_KMS_KEY_ID", ""),
		LogFormat:        get("SWITCHBOARD_LOG_FORMAT", "json"),
		LogLevel:         get("SWITCHBOARD_LOG_LEVEL", "info"),
	}
	var errs []error
	for _, r := range []struct{ name, v string }{
		{"SWITCHBOARD_TABLE", c.Table}, {"SWITCHBOARD_SIP_DOMAIN", c.SIPDomain}, {"SWITCHBOARD_NODE_ID", c.NodeID},
	} {
		if r.v == "" {
			errs = append(errs, fmt.Errorf("%s: required", r.name))
		}
	}
	if strings.ContainsAny(c.SIPDomain, " \t\r\n\"<>;,@") {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_SIP_DOMAIN %q: want a host name", c.SIPDomain))
	}
	if strings.ContainsAny(c.NodeID, " \t\r\n#") {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_NODE_ID %q: want an instance id", c.NodeID))
	}
	var err error
	if c.SIPDigest, err = fleet.ParseChallenges(get("SWITCHBOARD_SIP_DIGEST", "md5,sha-256")); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_SIP_DIGEST: %w", err))
	}
	if c.PublicIP, err = ip(getenv, "SWITCHBOARD_PUBLIC_IP"); err != nil {
		errs = append(errs, err)
	}
	if c.PrivateIP, err = ip(getenv, "SWITCHBOARD_PRIVATE_IP"); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.FleetSecretARN == "" && c.FleetSecret == "":
		errs = append(errs, errors.New("SWITCHBOARD_FLEET_SECRET_ARN: required"))
	case c.FleetSecretARN == "" && len(c.FleetSecret) < minSecret:
		errs = append(errs, fmt.Errorf("SWITCHBOARD_FLEET_SECRET: want at least %d characters", minSecret))
	}
	for _, a := range []struct {
		name string
		v    *string
		off  bool
	}{{"SWITCHBOARD_SYNC_ADDR", &c.SyncAddr, false}, {"SWITCHBOARD_SIP_UDP", &c.SIPUDP, true},
		{"SWITCHBOARD_SIP_TCP", &c.SIPTCP, true}, {"SWITCHBOARD_STUN", &c.STUN, true}} {
		if a.off && *a.v == "off" {
			*a.v = ""
			continue
		}
		if *a.v, err = onPrivate(*a.v, c.PrivateIP); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.name, err))
		}
	}
	if c.SIPUDP == "" && c.SIPTCP == "" {
		errs = append(errs, errors.New("SWITCHBOARD_SIP_UDP and SWITCHBOARD_SIP_TCP: both off"))
	}
	if c.RTPPortMin, c.RTPPortMax, err = portRange(get("SWITCHBOARD_RTP_PORTS", "20000-39999")); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_RTP_PORTS: %w", err))
	}
	if c.Trunk != "" {
		if _, _, err := net.SplitHostPort(c.Trunk); err != nil {
			errs = append(errs, fmt.Errorf("SWITCHBOARD_TRUNK %q: want host:port", c.Trunk))
		}
	}
	if c.Heartbeat, err = time.ParseDuration(get("SWITCHBOARD_HEARTBEAT", "30s")); err != nil || c.Heartbeat < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_HEARTBEAT %q: want a duration of at least 10ms", getenv("SWITCHBOARD_HEARTBEAT")))
	}
	return c, errors.Join(errs...)
}

// ip reads a required IP address.
func ip(getenv config.Getenv, name string) (netip.Addr, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return netip.Addr{}, fmt.Errorf("%s: required", name)
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("%s %q: want an IP address", name, v)
	}
	return a.Unmap(), nil
}

// onPrivate checks a host:port and puts an address without a host (or
// with an unspecified one) on the private IP: the call router writes the
// address the SIP sockets are bound to into Via and Contact headers, which
// must name an address, and the sync endpoint should listen inside the VPC
// only.
func onPrivate(addr string, private netip.Addr) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q: want host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: bad port", addr)
	}
	if a, err := netip.ParseAddr(host); host == "" || (err == nil && a.IsUnspecified()) {
		if !private.IsValid() {
			return addr, nil // reported as missing already
		}
		host = private.String()
	}
	return net.JoinHostPort(host, port), nil
}

// portRange parses "min-max".
func portRange(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || a < 1024 || b > 65535 || b < a+3 {
		return 0, 0, fmt.Errorf("%q: want min-max within 1024-65535, at least four ports", s)
	}
	return a, b, nil
}

// LogAttrs lists the configuration for the start-up log line, without
// secrets.
func (c Config) LogAttrs() []any {
	return []any{"table", c.Table, "dynamodb_endpoint", c.DynamoDBEndpoint, "sip_domain", c.SIPDomain, "node", c.NodeID,
		"public_ip", c.PublicIP.String(), "private_ip", c.PrivateIP.String(), "fleet_secret_arn", c.FleetSecretARN,
		"fleet_secret_set", c.FleetSecret != "", "sync", c.SyncAddr, "sip_udp", c.SIPUDP, "sip_tcp", c.SIPTCP,
		"stun", c.STUN, "rtp_ports", fmt.Sprintf("%d-%d", c.RTPPortMin, c.RTPPortMax), "trunk", c.Trunk,
		"trunk_user", c.TrunkUser, "trunk_password_set", c.TrunkPassword != "", "event_queue", c.EventQueueURL, "kms_key", c.KMSKeyID,
		"heartbeat", c.Heartbeat.String(), "log_format", c.LogFormat, "log_level", c.LogLevel}
}
