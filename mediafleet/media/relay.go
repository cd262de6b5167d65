package media

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Errors of the relay; callers branch on them with errors.Is.
var (
	// ErrNoPorts is returned by Open when the port range has no free pair
	// left for a leg.
	ErrNoPorts = errors.New("media: no free RTP ports")
	// ErrTooManySessions is returned by Open at Config.MaxSessions.
	ErrTooManySessions = errors.New("media: too many sessions")
	// ErrStopped is returned by Open once Run has ended, and is the Err
	// of the sessions Run ended.
	ErrStopped = errors.New("media: relay stopped")
	// ErrClosed is the Err of a session ended by Close.
	ErrClosed = errors.New("media: session closed")
	// ErrTimeout is the Err of a session ended because neither phone sent
	// anything for Config.RTPTimeout (or HoldTimeout while held).
	ErrTimeout = errors.New("media: RTP timeout")
	// ErrRunning is returned by a second call of Run.
	ErrRunning = errors.New("media: relay already running")
)

// Relay anchors the media of calls: it owns a range of UDP ports and relays
// RTP and RTCP between the two legs of each Session.
type Relay struct {
	cfg   Config
	log   *slog.Logger
	ports *portPool
	epoch time.Time

	engine // the sockets' reading side: engine_linux.go, engine_netpoll.go

	mu       sync.Mutex
	sessions map[*Session]struct{}
	running  bool
	stopped  bool
}

// New validates cfg (filling its defaults) and returns a relay. Sessions
// may be opened at once; Run ends idle sessions and stops everything when
// its context ends.
func New(cfg Config, logger *slog.Logger) (*Relay, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		return nil, errors.New("media: logger is nil")
	}
	return &Relay{
		cfg:      cfg,
		log:      logger.With("component", "media"),
		ports:    newPortPool(cfg.PortMin, cfg.PortMax),
		epoch:    time.Now(),
		sessions: make(map[*Session]struct{}),
	}, nil
}

// Config is the relay's configuration with its defaults filled in.
func (r *Relay) Config() Config { return r.cfg }

// clock is the relay's monotonic time in nanoseconds, never 0.
func (r *Relay) clock() int64 { return int64(time.Since(r.epoch)) + 1 }

// Run ends sessions that stay silent past their timeout, and when ctx ends
// it ends every session, waits for all of the relay's goroutines and
// returns nil. A relay runs once.
func (r *Relay) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.running || r.stopped {
		r.mu.Unlock()
		return ErrRunning
	}
	r.running = true
	err := r.startEngine()
	r.mu.Unlock()
	if err != nil {
		r.stop()
		return err
	}
	r.log.Info("media relay running", "listen", r.cfg.ListenIP, "advertise", r.cfg.AdvertiseIP,
		"ports", [2]int{r.cfg.PortMin, r.cfg.PortMax}, "max_sessions", r.cfg.MaxSessions,
		"rtp_timeout", r.cfg.RTPTimeout, "hold_timeout", r.cfg.HoldTimeout)

	tick := time.NewTicker(sweepInterval(min(r.cfg.RTPTimeout, r.cfg.HoldTimeout)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.stop()
			return nil
		case <-tick.C:
			r.sweep()
		}
	}
}

// sweepInterval checks four times per timeout, within 10 ms to 1 s: a
// session ends between one and 1.25 timeouts after its last packet.
func sweepInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

// sweep ends the sessions idle past their timeout.
func (r *Relay) sweep() {
	now := r.clock()
	for _, s := range r.snapshot() {
		limit := r.cfg.RTPTimeout
		if s.held() {
			limit = r.cfg.HoldTimeout
		}
		if idle := time.Duration(now - s.lastActivity()); idle >= limit {
			r.log.Info("media timeout", "call_id", s.callID, "idle", idle.Round(time.Millisecond))
			s.end(ErrTimeout)
		}
	}
}

func (r *Relay) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	for _, s := range r.snapshot() {
		s.end(ErrStopped)
	}
	r.stopEngine()
	r.log.Info("media relay stopped")
}

func (r *Relay) snapshot() []*Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := make([]*Session, 0, len(r.sessions))
	for s := range r.sessions {
		all = append(all, s)
	}
	return all
}

func (r *Relay) forget(s *Session) {
	r.mu.Lock()
	delete(r.sessions, s)
	r.mu.Unlock()
}

// Sessions is the number of open sessions.
func (r *Relay) Sessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// Open allocates a session for a call: two RTP/RTCP port pairs, one facing
// each side. Until SetRemote is called for a leg, packets arriving on it
// are dropped. callID names the session in logs. Open may be called
// before Run, but packets are relayed only while Run runs.
func (r *Relay) Open(callID string) (*Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil, ErrStopped
	}
	if len(r.sessions) >= r.cfg.MaxSessions {
		return nil, ErrTooManySessions
	}
	s := &Session{relay: r, callID: callID, opened: r.clock(), done: make(chan struct{})}
	for _, side := range []Side{A, B} {
		l, port, err := r.bindLeg(side)
		if err != nil {
			if side == B {
				_ = s.legs[A].rtp.sock.close()
				_ = s.legs[A].rtcp.sock.close()
				r.ports.put(s.ports[A])
			}
			return nil, err
		}
		s.legs[side], s.ports[side] = l, port
	}
	log := r.log.With("call_id", callID)
	a, b := s.legs[A], s.legs[B]
	a.in = [2]*path{newPath(&a.rtp, &b.rtp, b, false, r.clock, log), newPath(&a.rtcp, &b.rtcp, b, true, r.clock, log)}
	b.in = [2]*path{newPath(&b.rtp, &a.rtp, a, false, r.clock, log), newPath(&b.rtcp, &a.rtcp, a, true, r.clock, log)}
	a.in[0].watch, b.in[0].watch = &a.watch, &b.watch
	if err := r.serve(s); err != nil {
		r.release(s)
		r.ports.put(s.ports[A])
		r.ports.put(s.ports[B])
		return nil, err
	}
	r.sessions[s] = struct{}{}
	r.log.Debug("media session opened", "call_id", callID, "a", a.Local(), "b", b.Local())
	return s, nil
}
