package media

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a session's counters.
type Stats struct {
	A, B LegStats
}

// LegStats describes one leg of a session: what its phone sent to the
// relay, what the relay sent toward it, and what the relay dropped of the
// packets that arrived on the leg's ports. Every drop is counted where the
// packet arrived.
type LegStats struct {
	// Local is the relay's RTP address facing this leg (RTCP: port+1).
	Local netip.AddrPort
	// Remote is where RTP toward this leg goes: the address from SDP or,
	// once latched, the phone's actual source. Invalid before SetRemote.
	Remote netip.AddrPort
	// Latched reports whether RTP from the phone has latched Remote.
	Latched bool
	// Held reports whether forwarding toward this leg is stopped.
	Held bool

	// PacketsIn and BytesIn count accepted RTP from the phone, RTCPIn its
	// accepted RTCP packets.
	PacketsIn, BytesIn, RTCPIn uint64
	// SSRC is the synchronization source of the phone's latest RTP.
	SSRC uint32
	// Lost counts RTP packets of the phone missing by sequence number
	// (RFC 3550 appendix A.3: expected minus received, never negative).
	Lost uint64
	// LastSeen is when the phone's latest accepted packet (RTP or RTCP)
	// arrived; zero before the first.
	LastSeen time.Time

	// PacketsOut and BytesOut count RTP sent toward the phone, RTCPOut its
	// RTCP packets.
	PacketsOut, BytesOut, RTCPOut uint64

	// Malformed counts packets that failed the header check; Stray those
	// from a source the leg does not accept (before SetRemote, or other
	// than the latched address); Unrouted accepted packets the other leg
	// had no address for yet; OnHold RTP not forwarded because the other
	// leg is on hold; SendErrors packets the socket failed to send.
	Malformed, Stray, Unrouted, OnHold, SendErrors uint64
}

// counters belong to one path and are written by its goroutine only, so
// adding is uncontended; Stats reads them atomically from any goroutine.
type counters struct {
	packets, bytes  atomic.Uint64 // accepted from the source
	sent, sentBytes atomic.Uint64 // written toward the destination
	malformed       atomic.Uint64
	stray           atomic.Uint64
	unrouted        atomic.Uint64
	onHold          atomic.Uint64
	sendErrors      atomic.Uint64
	lastSeen        atomic.Int64 // relay clock, nanoseconds; 0: never
	ssrc            atomic.Uint32
	lost            atomic.Uint64
}

// seqTracker estimates lost packets from RTP sequence numbers, after
// RFC 3550 appendix A.1 and A.3 without the probation of new sources: the
// relay only counts, it decides nothing on these numbers. Its state is the
// path goroutine's own; the result is published through counters.lost.
type seqTracker struct {
	started  bool
	ssrc     uint32
	maxSeq   uint16
	cycles   uint64 // sequence number wrap-arounds, times 2^16
	base     uint64 // extended first sequence number of the source
	received uint64 // packets of the current source
	prior    uint64 // losses of sources seen before the current one
}

// maxDropout is the largest forward jump still taken as loss rather than
// as a restart of the sender's sequence (RFC 3550 appendix A.1).
const maxDropout = 3000

// observe accounts for one RTP packet and returns the loss so far.
func (s *seqTracker) observe(ssrc uint32, seq uint16) uint64 {
	if !s.started || ssrc != s.ssrc {
		s.prior = s.lostSoFar()
		s.started, s.ssrc = true, ssrc
		s.restart(seq)
		return s.prior
	}
	switch delta := seq - s.maxSeq; {
	case delta == 0:
		s.received++
		// A duplicate: received counts it, which may make the source's
		// loss negative for a while; lostSoFar reports zero then.
	case delta < maxDropout:
		s.received++
		if seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = seq
	case delta <= 1<<16-100:
		// A jump too large for loss: the sender restarted its sequence.
		s.prior = s.lostSoFar()
		s.restart(seq)
	default:
		// Late or reordered.
		s.received++
	}
	return s.lostSoFar()
}

func (s *seqTracker) restart(seq uint16) {
	s.maxSeq, s.cycles, s.base, s.received = seq, 0, uint64(seq), 1
}

func (s *seqTracker) lostSoFar() uint64 {
	if !s.started {
		return s.prior
	}
	expected := s.cycles + uint64(s.maxSeq) - s.base + 1
	if expected <= s.received {
		return s.prior
	}
	return s.prior + expected - s.received
}
