//go:build !(linux && (amd64 || arm64)) || media_netpoll

package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// This engine reads every socket with a goroutine of its own, through the
// Go runtime's network poller: portable, and the reference the Linux
// engine is measured against (build with -tags media_netpoll to use it on
// Linux).

// engine holds the path goroutines of every session.
type engine struct {
	wg sync.WaitGroup
}

// maxReadErrors bounds consecutive failed reads (other than a closed
// socket) before a path gives up, so a socket in a persistent error state
// cannot spin a goroutine.
const maxReadErrors = 100

// socket is one UDP socket of a leg.
type socket struct {
	conn *net.UDPConn
}

func (r *Relay) listen(port int) (*socket, error) {
	network := "udp4"
	if r.cfg.ListenIP.Is6() {
		network = "udp6"
	}
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(r.cfg.ListenIP, uint16(port))))
	if err != nil {
		return nil, err
	}
	return &socket{conn: c}, nil
}

func (s *socket) close() error { return s.conn.Close() }

func (s *socket) sendTo(pkt []byte, to netip.AddrPort) bool {
	_, err := s.conn.WriteToUDPAddrPort(pkt, to)
	return err == nil
}

func (r *Relay) startEngine() error { return nil }

// serve starts a goroutine per socket of the session.
func (r *Relay) serve(s *Session) error {
	for _, l := range s.legs {
		for _, p := range l.in {
			r.wg.Go(p.run)
		}
	}
	return nil
}

// release closes the session's sockets, which ends their goroutines.
func (r *Relay) release(s *Session) {
	for _, l := range s.legs {
		_ = l.rtp.sock.close()
		_ = l.rtcp.sock.close()
	}
}

func (r *Relay) stopEngine() { r.wg.Wait() }

// run reads the from socket until it is closed. The buffer is the only
// memory it uses.
func (p *path) run() {
	buf := make([]byte, maxPacket+1)
	failures := 0
	for {
		n, src, err := p.from.sock.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Some systems report an ICMP error of an earlier send on
			// the next read; the socket itself is still good.
			if failures++; failures > maxReadErrors {
				p.log.Warn("media socket failing; stream stopped", "stream", p.from.stream(), "error", err)
				return
			}
			continue
		}
		failures = 0
		p.relay(buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}
