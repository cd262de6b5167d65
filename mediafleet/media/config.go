package media

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Defaults of Config.
const (
	DefaultPortMin     = 20000
	DefaultPortMax     = 39999
	DefaultRTPTimeout  = 30 * time.Second
	DefaultHoldTimeout = 10 * time.Minute
)

// Config configures a Relay. The zero value runs locally: the relay listens
// on 127.0.0.1, advertises the same address, and uses the default port range
// and timeouts.
type Config struct {
	// ListenIP is the address the relay's sockets bind to: a host address,
	// or the unspecified address (0.0.0.0, ::) for all of them. Default
	// 127.0.0.1.
	ListenIP netip.Addr
	// AdvertiseIP is the address written into SDP, the one phones send
	// their media to: the node's public address (an Elastic IP on AWS).
	// Default ListenIP, or 127.0.0.1 when ListenIP is unspecified.
	AdvertiseIP netip.Addr
	// PortMin and PortMax bound the UDP ports of the relay, both included.
	// RTP uses even ports and RTCP the odd port above each; a session
	// takes two such pairs, one facing each side of the call. Defaults
	// 20000 and 39999.
	PortMin, PortMax int
	// RTPTimeout ends a session when neither side has sent an accepted
	// packet (RTP or RTCP) for that long. Default 30 s.
	RTPTimeout time.Duration
	// HoldTimeout replaces RTPTimeout while a leg of the session is on
	// hold, when phones may rightly fall silent. Default 10 minutes.
	HoldTimeout time.Duration
	// MaxSessions caps the concurrent sessions. Default (and upper
	// bound): as many as the port range holds.
	MaxSessions int
}

// withDefaults fills the zero fields of cfg and validates the result.
func (cfg Config) withDefaults() (Config, error) {
	if !cfg.ListenIP.IsValid() {
		cfg.ListenIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	cfg.ListenIP = cfg.ListenIP.Unmap()
	if !cfg.AdvertiseIP.IsValid() {
		cfg.AdvertiseIP = cfg.ListenIP
		if cfg.ListenIP.IsUnspecified() {
			cfg.AdvertiseIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
	}
	cfg.AdvertiseIP = cfg.AdvertiseIP.Unmap()
	if cfg.AdvertiseIP.IsUnspecified() {
		return cfg, errors.New("media: config: AdvertiseIP is unspecified; phones cannot send to it")
	}
	if cfg.PortMin == 0 && cfg.PortMax == 0 {
		cfg.PortMin, cfg.PortMax = DefaultPortMin, DefaultPortMax
	}
	if cfg.PortMin%2 == 1 {
		cfg.PortMin++ // RTP ports are even (RFC 3550 section 11)
	}
	if cfg.PortMin < 1 || cfg.PortMax > 65535 || cfg.PortMax < cfg.PortMin+3 {
		return cfg, fmt.Errorf("media: config: port range %d-%d holds no session (two even/odd pairs)", cfg.PortMin, cfg.PortMax)
	}
	if cfg.RTPTimeout == 0 {
		cfg.RTPTimeout = DefaultRTPTimeout
	}
	if cfg.HoldTimeout == 0 {
		cfg.HoldTimeout = DefaultHoldTimeout
	}
	if cfg.RTPTimeout < 0 || cfg.HoldTimeout < 0 {
		return cfg, errors.New("media: config: negative timeout")
	}
	capacity := cfg.pairs() / 2
	if cfg.MaxSessions == 0 || cfg.MaxSessions > capacity {
		cfg.MaxSessions = capacity
	}
	if cfg.MaxSessions < 0 {
		return cfg, errors.New("media: config: negative MaxSessions")
	}
	return cfg, nil
}

// pairs is the number of RTP/RTCP port pairs in the range.
func (cfg Config) pairs() int {
	return (cfg.PortMax - cfg.PortMin + 1) / 2
}
