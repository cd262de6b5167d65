package stun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
)

// readBufferSize bounds one datagram. A STUN answer must fit a path MTU, so
// a longer request is not one this server should answer; it arrives
// truncated, fails the length check and is dropped.
const readBufferSize = 2048

// Errors returned by Server methods; callers branch on them with errors.Is.
var (
	// ErrNotListening is returned by Serve when Listen has not succeeded.
	ErrNotListening = errors.New("stun: server is not listening")
	// ErrServing is returned by Serve when another Serve is already running
	// or has already run: a Server serves its socket once.
	ErrServing = errors.New("stun: server is already serving")
	// ErrListening is returned by Listen when the server already has a socket.
	ErrListening = errors.New("stun: server is already listening")
)

// Config configures a Server.
type Config struct {
	// Addr is the UDP host:port to bind, for example "0.0.0.0:10000" or
	// "[::1]:0". Its default is the caller's to choose.
	Addr string
}

// Server answers STUN Binding Requests on one UDP socket.
type Server struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	conn    *net.UDPConn
	serving bool
}

// New validates cfg and returns a Server that is not yet bound.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	if cfg.Addr == "" {
		return nil, errors.New("stun: config: Addr is empty")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("stun: config: Addr %q: %w", cfg.Addr, err)
	}
	if logger == nil {
		return nil, errors.New("stun: logger is nil")
	}
	return &Server{cfg: cfg, log: logger.With("component", "stun")}, nil
}

// Listen binds the UDP socket. After it returns, Addr reports the bound
// address; call Serve to answer requests, or Close to give the socket up.
func (s *Server) Listen(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return ErrListening
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("stun: listen %s: %w", s.cfg.Addr, err)
	}
	conn, ok := pc.(*net.UDPConn)
	if !ok {
		// ListenPacket returns *net.UDPConn for every "udp" network; this
		// guards the type assertion rather than any expected case.
		_ = pc.Close()
		return fmt.Errorf("stun: listen %s: unexpected socket type %T", s.cfg.Addr, pc)
	}
	s.conn = conn
	s.log.Info("stun listening", "addr", conn.LocalAddr().String())
	return nil
}

// Addr returns the bound address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	return s.conn.LocalAddr()
}

// Close releases the socket of a server that was bound but will not serve.
// Serve closes the socket itself when its context ends, so Close is only
// needed on the paths where Serve never runs. It is safe to call more than
// once and after Serve.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Serve answers requests until ctx is cancelled, then closes the socket and
// returns nil. It returns an error if the socket fails for another reason.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	conn, serving := s.conn, s.serving
	if conn != nil && !serving {
		s.serving = true
	}
	s.mu.Unlock()
	if conn == nil {
		return ErrNotListening
	}
	if serving {
		return ErrServing
	}

	// Closing the socket is the only way to interrupt a blocked read.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()

	s.log.Info("stun serving", "addr", conn.LocalAddr().String())
	err := s.loop(ctx, conn)
	if ctx.Err() != nil {
		s.log.Info("stun stopped", "addr", conn.LocalAddr().String())
		return nil
	}
	return err
}

// loop is the read loop: one buffer and one binder for its whole life.
func (s *Server) loop(ctx context.Context, conn *net.UDPConn) error {
	buf := make([]byte, readBufferSize)
	b := newBinder()
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return fmt.Errorf("stun: read: %w", err)
		}
		answer, err := b.handle(buf[:n], from)
		if err != nil {
			// Drops are expected (scanners, other protocols); they are
			// logged only at debug level, and the guard keeps the
			// arguments from being boxed when debug is off.
			if s.log.Enabled(ctx, slog.LevelDebug) {
				s.log.Debug("stun packet dropped", "from", from.String(), "size", n, "reason", err.Error())
			}
			continue
		}
		if _, err := conn.WriteToUDPAddrPort(answer, from); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Warn("stun answer not sent", "to", from.String(), "error", err.Error())
		}
	}
}
