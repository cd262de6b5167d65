package media

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Session relays the media of one call between two legs. It is safe for
// concurrent use.
type Session struct {
	relay  *Relay
	callID string
	opened int64 // relay clock
	legs   [2]*Leg
	ports  [2]int // RTP ports of the legs, for the pool

	once   sync.Once
	done   chan struct{}
	reason error // why the session ended; written before done closes
}

// CallID is the identifier the session was opened with.
func (s *Session) CallID() string { return s.callID }

// Leg returns side A or B of the session.
func (s *Session) Leg(side Side) *Leg { return s.legs[side] }

// Done is closed when the session has ended: by Close, by RTP timeout, or
// because the relay stopped. Err tells which.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is nil while the session runs; after Done is closed it is ErrClosed,
// ErrTimeout or ErrStopped.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.reason
	default:
		return nil
	}
}

// Close ends the session and gives its ports back. Closing an ended
// session does nothing.
func (s *Session) Close() error {
	s.end(ErrClosed)
	return nil
}

// Stats reads the session's counters. It may be called after the session
// ended, for the call record.
func (s *Session) Stats() Stats {
	a, b := s.legs[A], s.legs[B]
	return Stats{A: a.stats(b, s.relay.wall), B: b.stats(a, s.relay.wall)}
}

// lastActivity is the relay-clock time of the latest accepted packet of
// either leg, or the opening time before any.
func (s *Session) lastActivity() int64 {
	t := s.opened
	for _, l := range s.legs {
		for _, p := range l.in {
			t = max(t, p.lastSeen.Load())
		}
	}
	return t
}

func (s *Session) held() bool {
	return s.legs[A].held.Load() || s.legs[B].held.Load()
}

// end closes the sockets (which ends the path goroutines), gives the ports
// back and unregisters the session, once.
func (s *Session) end(reason error) {
	s.once.Do(func() {
		s.relay.release(s)
		for _, port := range s.ports {
			s.relay.ports.put(port)
		}
		s.relay.forget(s)
		s.reason = reason
		close(s.done)
		st := s.Stats()
		s.relay.log.Info("media session ended", "call_id", s.callID, "reason", reason.Error(),
			"a_in", st.A.PacketsIn, "a_lost", st.A.Lost, "a_dropped", st.A.Malformed+st.A.Stray,
			"b_in", st.B.PacketsIn, "b_lost", st.B.Lost, "b_dropped", st.B.Malformed+st.B.Stray)
	})
}

// bindLeg takes a port pair from the pool and binds it. A pair that cannot
// be bound (another program holds a port) goes back to the end of the
// queue and the next is tried, at most once per pair in the range.
func (r *Relay) bindLeg(side Side) (*Leg, int, error) {
	var lastErr error
	for range r.cfg.pairs() {
		port, ok := r.ports.get()
		if !ok {
			break
		}
		rtpSock, err := r.listen(port)
		if err != nil {
			lastErr = err
			r.ports.put(port)
			continue
		}
		rtcpSock, err := r.listen(port + 1)
		if err != nil {
			lastErr = err
			_ = rtpSock.close()
			r.ports.put(port)
			continue
		}
		l := &Leg{side: side}
		l.rtp = endpoint{side: side, sock: rtpSock, local: netip.AddrPortFrom(r.cfg.AdvertiseIP, uint16(port))}
		l.rtcp = endpoint{side: side, rtcp: true, sock: rtcpSock, local: netip.AddrPortFrom(r.cfg.AdvertiseIP, uint16(port+1))}
		return l, port, nil
	}
	if lastErr != nil {
		return nil, 0, fmt.Errorf("%w (last bind error: %v)", ErrNoPorts, lastErr)
	}
	return nil, 0, ErrNoPorts
}

// wall turns the relay clock into time; 0 (never) stays the zero time.
func (r *Relay) wall(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return r.epoch.Add(time.Duration(t))
}
