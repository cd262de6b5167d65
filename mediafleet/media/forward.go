package media

import (
	"log/slog"
	"net/netip"
	"sync/atomic"

	"github.com/pion/rtp"
)

// maxPacket is the largest datagram the relay forwards. RTP for telephony
// fits an Ethernet frame; a larger datagram is read into a buffer one
// octet longer, recognised by its length and dropped as malformed.
const maxPacket = 1500

// verdict is what forward decided about one packet.
type verdict uint8

const (
	forwarded verdict = iota // send it to the returned address
	dropMalformed
	dropStray
	dropUnrouted
	dropOnHold
)

// path is one direction of one stream of a session: packets arriving on
// the from socket go out of the to socket, to the to endpoint's peer. Each
// socket has one path and one goroutine reading it; that goroutine alone
// touches the header and the tracker and writes the counters.
type path struct {
	from, to *endpoint
	toLeg    *Leg                   // whose hold stops forwarding (RTP only)
	watch    *atomic.Pointer[watch] // of the leg packets arrive on (RTP only)
	rtcp     bool
	clock    func() int64
	log      *slog.Logger

	hdr    rtp.Header // reused by every checkRTP of this path
	seq    seqTracker
	events eventTracker
	counters
}

func newPath(from, to *endpoint, toLeg *Leg, rtcp bool, clock func() int64, log *slog.Logger) *path {
	p := &path{from: from, to: to, toLeg: toLeg, rtcp: rtcp, clock: clock, log: log}
	// Room for the largest CSRC list and a few extensions, so that the
	// header parse allocates nothing from the first packet on.
	p.hdr.CSRC = make([]uint32, 0, 15)
	p.hdr.Extensions = make([]rtp.Extension, 0, 16)
	return p
}

// forward checks one packet that arrived from src and decides where it
// goes. It is the whole per-packet decision of the relay, separate from
// the sockets so that it can be measured and fuzzed on its own, and it
// allocates nothing except when a leg latches (once per SetRemote).
func (p *path) forward(pkt []byte, src netip.AddrPort) (netip.AddrPort, verdict) {
	if p.rtcp && !checkRTCP(pkt) || !p.rtcp && !checkRTP(pkt, &p.hdr) {
		p.malformed.Add(1)
		return netip.AddrPort{}, dropMalformed
	}
	if !p.accept(src) {
		p.stray.Add(1)
		return netip.AddrPort{}, dropStray
	}
	p.packets.Add(1)
	p.bytes.Add(uint64(len(pkt)))
	p.lastSeen.Store(p.clock())
	if !p.rtcp && !muxedRTCP(&p.hdr) {
		p.ssrc.Store(p.hdr.SSRC)
		p.lost.Store(p.seq.observe(p.hdr.SSRC, p.hdr.SequenceNumber))
		if p.watch != nil {
			p.observeEvent(p.watch, pkt, &p.hdr)
		}
	}
	if !p.rtcp && p.toLeg.held.Load() {
		p.onHold.Add(1)
		return netip.AddrPort{}, dropOnHold
	}
	dst := p.to.peer.Load()
	if dst == nil || !dst.sendable() {
		p.unrouted.Add(1)
		return netip.AddrPort{}, dropUnrouted
	}
	return dst.addr, forwarded
}

// accept applies the latching rule (doc.go) to a packet's source.
func (p *path) accept(src netip.AddrPort) bool {
	cur := p.from.peer.Load()
	switch {
	case cur == nil:
		return false // no SetRemote yet: nobody is expected
	case cur.latched:
		return src == cur.addr
	case !cur.admits(src):
		return false
	}
	if !p.from.peer.CompareAndSwap(cur, cur.latch(src)) {
		// SetRemote replaced the peer meanwhile; the packet was meant
		// for the old one.
		return false
	}
	p.log.Debug("media latched", "stream", p.from.stream(), "source", src, "sdp", cur.addr)
	return true
}

// relay handles one datagram read from the from socket: the decision of
// forward, the write out of the to socket, and the counters. Both socket
// engines (engine_linux.go, engine_netpoll.go) call it.
func (p *path) relay(pkt []byte, src netip.AddrPort) {
	if len(pkt) > maxPacket {
		p.malformed.Add(1)
		return
	}
	dst, v := p.forward(pkt, src)
	if v != forwarded {
		return
	}
	if !p.to.sock.sendTo(pkt, dst) {
		p.sendErrors.Add(1)
		return
	}
	p.sent.Add(1)
	p.sentBytes.Add(uint64(len(pkt)))
}
