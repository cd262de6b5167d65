package calls

import (
	"errors"
	"net/netip"

	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/shared/model"
)

// Side names a leg of a call: the caller's (A) or the callee's (B).
type Side int

// The two sides of a call.
const (
	Caller Side = iota
	Callee
)

func (s Side) String() string {
	if s == Caller {
		return "caller"
	}
	return "callee"
}

// other is the opposite side.
func (s Side) other() Side { return 1 - s }

// Media is the RTP relay that anchors calls: the B2BUA opens one session
// per call. Relay adapts the fleet's relay (package media) to it.
type Media interface {
	Open(callID string) (MediaSession, error)
}

// MediaSession anchors the media of one call between the caller's and the
// callee's phone.
type MediaSession interface {
	// Local is the relay's RTP address facing side, written into the SDP
	// sent to that side's phone.
	Local(side Side) netip.AddrPort
	// SetRemote hands the relay the RTP address side's phone wrote into
	// its SDP.
	SetRemote(side Side, addr netip.AddrPort) error
	// SetHold stops (true) or resumes RTP toward side's phone.
	SetHold(side Side, on bool)
	// Send sends one RTP packet to side's phone from the relay (a
	// prompt); false when the phone's address is not usable yet.
	Send(side Side, pkt []byte) bool
	// WatchEvents reports the RFC 4733 telephone events side's phone
	// sends with payload type pt, once each, to fn (nil stops). fn runs
	// on the relay's packet path and must not block.
	WatchEvents(side Side, pt uint8, fn func(code uint8))
	// Done is closed when the session ended, by Close or on its own.
	Done() <-chan struct{}
	// TimedOut reports whether the session ended because neither phone
	// sent media for the relay's timeout.
	TimedOut() bool
	// Stats counts the packets the relay carried, for the call record.
	Stats() MediaStats
	// Close ends the session.
	Close() error
}

// MediaStats are the relay's counters of one call, as the call record
// keeps them.
type MediaStats = model.CallMedia

// Relay adapts the fleet's RTP relay to Media: side A of its sessions
// faces the caller, side B the callee.
func Relay(r *media.Relay) Media { return relay{r} }

type relay struct{ r *media.Relay }

func (r relay) Open(callID string) (MediaSession, error) {
	s, err := r.r.Open(callID)
	if err != nil {
		return nil, err
	}
	return session{s}, nil
}

type session struct{ s *media.Session }

func mediaSide(s Side) media.Side {
	if s == Caller {
		return media.A
	}
	return media.B
}

func (s session) Local(side Side) netip.AddrPort { return s.s.Leg(mediaSide(side)).Local() }
func (s session) SetRemote(side Side, addr netip.AddrPort) error {
	return s.s.Leg(mediaSide(side)).SetRemote(addr)
}
func (s session) SetHold(side Side, on bool) { s.s.Leg(mediaSide(side)).SetHold(on) }
func (s session) Send(side Side, pkt []byte) bool {
	return s.s.Leg(mediaSide(side)).Send(pkt)
}
func (s session) WatchEvents(side Side, pt uint8, fn func(code uint8)) {
	if fn == nil {
		s.s.Leg(mediaSide(side)).WatchEvents(pt, nil)
		return
	}
	s.s.Leg(mediaSide(side)).WatchEvents(pt, media.EventFunc(fn))
}
func (s session) Done() <-chan struct{} { return s.s.Done() }
func (s session) TimedOut() bool        { return errors.Is(s.s.Err(), media.ErrTimeout) }
func (s session) Close() error          { return s.s.Close() }

func (s session) Stats() MediaStats {
	st := s.s.Stats()
	return MediaStats{
		CallerIn: st.A.PacketsIn, CallerOut: st.A.PacketsOut, CallerLost: st.A.Lost,
		CalleeIn: st.B.PacketsIn, CalleeOut: st.B.PacketsOut, CalleeLost: st.B.Lost,
	}
}
