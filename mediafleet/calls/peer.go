package calls

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Calls across fleet nodes. A phone keeps its registration (and its NAT
// binding or TCP connection) with the node it registered to; a call to it
// that arrives at another node is passed to that node, which rings the
// phone as if the call were its own. The table says where a phone is
// registered (Peers); the node that rings it trusts the call because it
// carries a header only fleet nodes can make (a MAC with the fleet's
// shared key), and anchors the call's media once more in its own relay,
// the one the phone's media already reaches. Records, events and webhooks
// stay with the node the call arrived at.

// Peers finds phones registered on other nodes of the fleet.
type Peers interface {
	// Nodes returns the SIP addresses (host:port, UDP) of the other
	// nodes where the device has registrations.
	Nodes(ctx context.Context, account, device string) []string
}

// HeaderPeer carries a call from one fleet node to another: the time it
// was made and a MAC over it, the Call-ID and the device rung.
const HeaderPeer = "X-Switchboard-Peer"

// peerWindow is how old a peer header may be.
const peerWindow = 30 * time.Second

// peerLookup bounds the table read of where a phone is.
const peerLookup = 2 * time.Second

// peerMAC is the MAC of a peer header.
func peerMAC(key []byte, ts, callID, device string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "\x00" + callID + "\x00" + device))
	return hex.EncodeToString(m.Sum(nil))
}

// peerHeader is the header a node sends with a call it passes on.
func (r *Router) peerHeader(callID, device string) sip.Header {
	ts := strconv.FormatInt(r.cfg.Clock().Unix(), 10)
	return sip.NewHeader(HeaderPeer, ts+";"+peerMAC(r.cfg.PeerKey, ts, callID, device))
}

// fromPeer reports whether an INVITE is a call another node passed on,
// for the device its Request-URI names.
func (r *Router) fromPeer(req *sip.Request) bool {
	h := req.GetHeader(HeaderPeer)
	if h == nil || len(r.cfg.PeerKey) == 0 || req.CallID() == nil {
		return false
	}
	ts, mac, ok := strings.Cut(h.Value(), ";")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return false
	}
	if d := r.cfg.Clock().Sub(time.Unix(sec, 0)); d > peerWindow || d < -peerWindow {
		return false
	}
	want := peerMAC(r.cfg.PeerKey, ts, req.CallID().Value(), req.Recipient.User)
	return hmac.Equal([]byte(mac), []byte(want))
}

// peerTargets are the other nodes where a phone is registered.
func (c *call) peerTargets(device, user string) []target {
	p := c.r.deps.Peers
	if p == nil || c.caller.peer || len(c.r.cfg.PeerKey) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), peerLookup)
	defer cancel()
	var out []target
	for _, addr := range p.Nodes(ctx, c.account, device) {
		host, port, err := sip.ParseAddr(addr)
		if err != nil {
			continue
		}
		u := sip.Uri{Scheme: "sip", User: device, Host: host, Port: port, UriParams: sip.NewParams()}
		out = append(out, target{device: device, user: user, uri: u, dest: addr, transport: "UDP", peer: true})
	}
	return out
}

// peerCaller is the caller of a call another node passed on, as that node
// presented it, in the account of the device it rings.
func (r *Router) peerCaller(req *sip.Request) caller {
	c := caller{peer: true, display: req.From().DisplayName, fromUser: req.From().Address.User,
		privacy: req.GetHeader("Privacy") != nil}
	if dev, ok := r.deps.Directory.Device(req.Recipient.User); ok {
		c.account = dev.Account
	}
	return c
}

// peerRoute is where a call another node passed on rings: the one device
// its Request-URI names, registered here; never further on.
func (r *Router) peerRoute(from caller, device string) (destination, int, string) {
	dev, ok := r.deps.Directory.Device(device)
	if !ok || dev.Account != from.account {
		return destination{}, sip.StatusNotFound, "Not Found"
	}
	return destination{kind: destDevice, account: dev.Account, id: dev.ID}, 0, ""
}
