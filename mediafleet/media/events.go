package media

import (
	"sync/atomic"

	"github.com/pion/rtp"
)

// Telephone events (RFC 4733): the relay passes them on like any RTP
// packet, and a leg may also be watched for them, so that the B2BUA learns
// the digits a phone sends in its media (an IVR's Gather, the DTMF events
// of a call).

// EventFunc receives one telephone event as it starts: its code (0–9 the
// digits, 10 '*', 11 '#', 12–15 'A'–'D', others RFC 4733's further tones).
// It runs on the relay's packet path and must not block.
type EventFunc func(code uint8)

// watch is a leg's watcher: the payload type the phone uses for
// telephone-event and the function it reports to.
type watch struct {
	pt uint8
	fn EventFunc
}

// WatchEvents reports each telephone event the leg's phone sends with
// payload type pt to fn, once per event (an event is repeated in several
// packets with one timestamp). A nil fn stops watching.
func (l *Leg) WatchEvents(pt uint8, fn EventFunc) {
	if fn == nil {
		l.watch.Store(nil)
		return
	}
	l.watch.Store(&watch{pt: pt, fn: fn})
}

// eventTracker remembers the last event reported on a path, so that its
// retransmissions and continuation packets are not reported again. Only
// the path's goroutine touches it.
type eventTracker struct {
	seen bool
	ts   uint32
	ssrc uint32
}

// observeEvent reports a telephone event carried by pkt, whose header is
// h, when the path's leg is watched for it.
func (p *path) observeEvent(w *atomic.Pointer[watch], pkt []byte, h *rtp.Header) {
	wt := w.Load()
	if wt == nil || h.PayloadType != wt.pt {
		return
	}
	payload := pkt[h.MarshalSize():]
	if h.Padding && len(payload) > 0 {
		pad := int(payload[len(payload)-1])
		if pad > len(payload) {
			return
		}
		payload = payload[:len(payload)-pad]
	}
	if len(payload) < 4 {
		return
	}
	t := &p.events
	if t.seen && t.ts == h.Timestamp && t.ssrc == h.SSRC {
		return
	}
	t.seen, t.ts, t.ssrc = true, h.Timestamp, h.SSRC
	wt.fn(payload[0])
}

// EventDigit is the character of a DTMF event code, or 0 for codes that
// are not DTMF.
func EventDigit(code uint8) byte {
	const digits = "0123456789*#ABCD"
	if int(code) < len(digits) {
		return digits[code]
	}
	return 0
}

// Send sends one RTP packet to the leg's phone from the leg's RTP socket,
// as if the other side had sent it: announcements and prompts the B2BUA
// plays. It reports false when the phone's address is not known yet (a
// phone behind NAT that has sent nothing) or the write failed.
func (l *Leg) Send(pkt []byte) bool {
	p := l.rtp.peer.Load()
	if p == nil || !p.sendable() {
		return false
	}
	return l.rtp.sock.sendTo(pkt, p.addr)
}
