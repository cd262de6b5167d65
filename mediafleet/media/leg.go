package media

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Side names a leg of a session. The B2BUA uses A for the caller's side
// and B for the callee's, but the relay treats both alike.
type Side int

// The two sides of a session.
const (
	A Side = iota
	B
)

func (s Side) String() string {
	if s == A {
		return "a"
	}
	return "b"
}

// other is the opposite side.
func (s Side) other() Side { return 1 - s }

// Leg is one side of a session: the relay's RTP/RTCP port pair facing one
// phone, and what the relay knows of where that phone is.
type Leg struct {
	side      Side
	rtp, rtcp endpoint
	held      atomic.Bool
	in        [2]*path // paths reading this leg's sockets: RTP, RTCP
	watch     atomic.Pointer[watch]

	mu  sync.Mutex     // serializes SetRemote
	sdp netip.AddrPort // the RTP address of the latest SetRemote
}

// endpoint is one socket of a leg and the peer it exchanges packets with.
type endpoint struct {
	side  Side
	rtcp  bool
	sock  *socket
	local netip.AddrPort // the advertised address of this socket
	peer  atomic.Pointer[peer]
}

func (e *endpoint) stream() string {
	if e.rtcp {
		return e.side.String() + "/rtcp"
	}
	return e.side.String() + "/rtp"
}

// peer is whom an endpoint exchanges packets with. It is immutable: a
// change (SetRemote, latching) stores a new peer, so the packet path reads
// it with one atomic load.
type peer struct {
	addr    netip.AddrPort // from SDP until latched, then the actual source
	latched bool
	// anySource is set when the SDP address is not one the relay can
	// reach as written (doc.go): any source may latch, and nothing is
	// sent before one has.
	anySource bool
}

func newPeer(sdp netip.AddrPort) *peer {
	return &peer{addr: sdp, anySource: !reachable(sdp.Addr())}
}

// admits reports whether a packet from src may latch this peer.
func (p *peer) admits(src netip.AddrPort) bool {
	return p.anySource || src.Addr() == p.addr.Addr()
}

func (p *peer) latch(src netip.AddrPort) *peer {
	return &peer{addr: src, latched: true, anySource: p.anySource}
}

// sendable reports whether packets may be sent to addr.
func (p *peer) sendable() bool {
	return p.latched || !p.anySource
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// reachable reports whether a phone that wrote a into its SDP can be
// expected at a as written: a public address, or loopback for a phone on
// the relay's own host. Private, shared (CGNAT), link-local, multicast and
// unspecified addresses are what a phone behind NAT writes, or what the
// old hold form c=0.0.0.0 says.
func reachable(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsPrivate() && !a.IsLinkLocalUnicast() &&
		!a.IsMulticast() && !cgnat.Contains(a)
}

// Local is the relay's address for this leg's RTP, to write into the SDP
// sent to this leg's phone; RTCP is on the port above.
func (l *Leg) Local() netip.AddrPort { return l.rtp.local }

// SetRemote sets the phone's RTP address from the SDP it sent (connection
// address and media port; RTCP is assumed on the port above). It may be
// called again for a re-INVITE: a changed address starts latching anew,
// the same address keeps the latched one. Port 0 (a declined stream)
// stops traffic toward and from the phone until the next SetRemote.
func (l *Leg) SetRemote(addr netip.AddrPort) error {
	if !addr.Addr().IsValid() {
		return fmt.Errorf("media: leg %s: remote address %v is invalid", l.side, addr)
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if addr == l.rtp.local || addr == l.rtcp.local {
		return fmt.Errorf("media: leg %s: remote address %v is the leg's own", l.side, addr)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if addr == l.sdp && l.rtp.peer.Load() != nil {
		return nil
	}
	l.sdp = addr
	if addr.Port() == 0 {
		l.rtp.peer.Store(nil)
		l.rtcp.peer.Store(nil)
		return nil
	}
	l.rtp.peer.Store(newPeer(addr))
	l.rtcp.peer.Store(newPeer(netip.AddrPortFrom(addr.Addr(), addr.Port()+1)))
	return nil
}

// SetHold stops (true) or resumes (false) forwarding RTP toward this leg's
// phone. RTCP goes on, so both phones keep their reports and the session
// keeps its activity; while a leg is held the session's idle limit is
// Config.HoldTimeout.
func (l *Leg) SetHold(on bool) { l.held.Store(on) }

// stats reads this leg's counters; other is the session's other leg, whose
// paths count what was sent toward this one, and wall turns the relay
// clock into time.
func (l *Leg) stats(other *Leg, wall func(int64) time.Time) LegStats {
	st := LegStats{Local: l.rtp.local, Held: l.held.Load()}
	if p := l.rtp.peer.Load(); p != nil {
		st.Remote, st.Latched = p.addr, p.latched
	}
	rtpIn, rtcpIn := l.in[0], l.in[1]
	st.PacketsIn, st.BytesIn = rtpIn.packets.Load(), rtpIn.bytes.Load()
	st.RTCPIn = rtcpIn.packets.Load()
	st.SSRC, st.Lost = rtpIn.ssrc.Load(), rtpIn.lost.Load()
	st.LastSeen = wall(max(rtpIn.lastSeen.Load(), rtcpIn.lastSeen.Load()))
	rtpOut, rtcpOut := other.in[0], other.in[1]
	st.PacketsOut, st.BytesOut = rtpOut.sent.Load(), rtpOut.sentBytes.Load()
	st.RTCPOut = rtcpOut.sent.Load()
	for _, p := range l.in {
		st.Malformed += p.malformed.Load()
		st.Stray += p.stray.Load()
		st.Unrouted += p.unrouted.Load()
		st.OnHold += p.onHold.Load()
		st.SendErrors += p.sendErrors.Load()
	}
	return st
}
