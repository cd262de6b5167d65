package account

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Which webhook URLs an account may set: http(s) only, and on AWS https to
// public addresses only, so that no URL reaches into the network
// Switchboard runs in. The deliverer checks addresses again when it
// connects (events/webhook), since a name may resolve differently later.

// URLPolicy says which webhook URLs are acceptable. The zero value admits
// any http(s) URL (the local stack); StrictURLs is the AWS shape's.
type URLPolicy struct {
	RequireHTTPS bool
	// BlockPrivate refuses hosts that resolve to loopback, private,
	// link-local or other non-public addresses, so that no URL reaches
	// into the network Switchboard runs in.
	BlockPrivate bool
	// Lookup resolves a host name; nil means the system resolver.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// StrictURLs is the policy of the AWS shape: https to public addresses.
var StrictURLs = URLPolicy{RequireHTTPS: true, BlockPrivate: true}

// reserved are non-public ranges netip's predicates do not name.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("240.0.0.0/4"),
	// IPv6 forms that can carry an IPv4 address (NAT64, 6to4, Teredo),
	// documentation, discard and the deprecated site-local range.
	netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("2001::/32"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("fec0::/10"),
}

// PublicAddr reports whether a is a public unicast address: not loopback,
// private, link-local (which includes the cloud's metadata service),
// multicast, unspecified or reserved.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// checkURL validates one webhook URL against the policy.
func checkURL(ctx context.Context, field, raw string, pol URLPolicy) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalid(field, "is required")
	}
	if len(raw) > maxURL {
		return "", invalid(field, "is longer than %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Hostname() == "" || u.Opaque != "" {
		return "", invalid(field, "is not an absolute URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if pol.RequireHTTPS {
			return "", invalid(field, "must use https")
		}
	default:
		return "", invalid(field, "must be an http or https URL")
	}
	if u.User != nil {
		return "", invalid(field, "must not carry a user name or password (requests are signed instead)")
	}
	if !pol.BlockPrivate {
		return raw, nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lookup := pol.Lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if addrs, err = lookup(ctx, host); err != nil || len(addrs) == 0 {
			return "", invalid(field, "names a host that does not resolve")
		}
	}
	for _, a := range addrs {
		if !PublicAddr(a) {
			return "", invalid(field, "points to a private, loopback or link-local address")
		}
	}
	return raw, nil
}
