//go:build linux && (amd64 || arm64) && !media_netpoll

package media

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// This engine reads the sockets with a few workers, one per CPU the Go
// runtime uses, each waiting on its own level-triggered epoll set. Every
// readiness event costs one recvfrom, and a busy relay handles hundreds of
// packets per epoll_wait with no goroutine switch between them. The
// goroutine-per-socket engine (engine_netpoll.go) pays, per packet, a
// second recvfrom that finds the socket empty, a park and an unpark of the
// goroutine and the runtime poller's bookkeeping: about a third more CPU
// per relayed packet on loopback (see doc.go for the figures).
//
// All four sockets of a session belong to one worker, so a session's
// packets are handled by one thread at a time and its paths' state needs
// no lock. A worker holds its mutex while it handles a batch of events;
// closing a session first unhooks its paths from the slot table and then
// takes every worker's mutex once, so no worker can still be using a
// descriptor when it is closed (and reused by the system for something
// else).

type engine struct {
	once    sync.Once
	initErr error
	workers []*worker
	// slots holds, for each port of the range (port - PortMin), the path
	// reading that socket. Epoll events carry the slot, not a pointer.
	slots []atomic.Pointer[path]
	next  int // the worker of the next session, round robin; under Relay.mu
	wg    sync.WaitGroup
}

type worker struct {
	epfd int
	// file wraps epfd for the Go runtime's poller, which tells the worker
	// when the set has events: the worker waits as a parked goroutine,
	// not as a thread blocked in epoll_wait. Closing it stops the worker.
	file *os.File
	mu   sync.Mutex
}

// socket is one UDP socket of a leg, a non-blocking descriptor.
type socket struct {
	fd   int
	slot int32
	v6   bool
}

// initEngine creates the workers' epoll sets, once.
func (r *Relay) initEngine() error {
	r.once.Do(func() {
		r.slots = make([]atomic.Pointer[path], r.cfg.PortMax-r.cfg.PortMin+1)
		for range runtime.GOMAXPROCS(0) {
			epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
			if err != nil {
				r.initErr = fmt.Errorf("media: epoll: %w", err)
				return
			}
			if err := syscall.SetNonblock(epfd, true); err != nil {
				_ = syscall.Close(epfd)
				r.initErr = fmt.Errorf("media: epoll: %w", err)
				return
			}
			r.workers = append(r.workers, &worker{epfd: epfd, file: os.NewFile(uintptr(epfd), "media-epoll")})
		}
	})
	return r.initErr
}

// startEngine starts the workers; Run calls it with Relay.mu held.
func (r *Relay) startEngine() error {
	if err := r.initEngine(); err != nil {
		return err
	}
	for _, w := range r.workers {
		r.wg.Go(func() { r.work(w) })
	}
	return nil
}

// stopEngine stops the workers once every session has ended, and closes
// their epoll sets.
func (r *Relay) stopEngine() {
	for _, w := range r.workers {
		_ = w.file.Close()
	}
	r.wg.Wait()
}

func (r *Relay) listen(port int) (*socket, error) {
	ip := r.cfg.ListenIP
	family, v6 := syscall.AF_INET, ip.Is6()
	if v6 {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Port: port, Addr: ip.As4()}
	if v6 {
		if ip.IsUnspecified() {
			// Also IPv4, whose sources then read as IPv4-mapped.
			_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0)
		}
		sa = &syscall.SockaddrInet6{Port: port, Addr: ip.As16()}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("bind %v: %w", netip.AddrPortFrom(ip, uint16(port)), err)
	}
	return &socket{fd: fd, slot: int32(port - r.cfg.PortMin), v6: v6}, nil
}

func (s *socket) close() error { return syscall.Close(s.fd) }

// serve hands the session's sockets to the next worker; Open calls it with
// Relay.mu held.
func (r *Relay) serve(s *Session) error {
	if err := r.initEngine(); err != nil {
		return err
	}
	w := r.workers[r.next%len(r.workers)]
	r.next++
	for _, l := range s.legs {
		for _, p := range l.in {
			r.slots[p.from.sock.slot].Store(p)
			ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: p.from.sock.slot}
			if err := syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, p.from.sock.fd, &ev); err != nil {
				return fmt.Errorf("media: epoll: %w", err)
			}
		}
	}
	return nil
}

// release closes the session's sockets once no worker can be using them.
func (r *Relay) release(s *Session) {
	for _, l := range s.legs {
		for _, p := range l.in {
			if p != nil && r.slots != nil {
				r.slots[p.from.sock.slot].CompareAndSwap(p, nil)
			}
		}
	}
	for _, w := range r.workers {
		// An empty critical section: it waits out the batch the worker
		// may be handling, which is the point.
		w.mu.Lock()
		w.mu.Unlock() //nolint:staticcheck // SA2001: intended
	}
	for _, l := range s.legs {
		_ = l.rtp.sock.close()
		_ = l.rtcp.sock.close()
	}
}

// work relays packets until the worker's epoll set is closed: the runtime
// poller wakes it when the set has events, and it handles batches of them
// until the set is empty.
func (r *Relay) work(w *worker) {
	rc, err := w.file.SyscallConn()
	if err != nil {
		r.log.Error("media worker not started", "error", err)
		return
	}
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, maxPacket+1)
	var sa syscall.RawSockaddrInet6 // large enough for either family
	drain := func(uintptr) bool {
		// Until the set is empty: the runtime poller watches the set
		// edge-triggered, so the worker may only park on an empty set.
		for {
			n := pollNow(w.epfd, events)
			if n == 0 {
				return false // park until the set has events again
			}
			w.mu.Lock()
			for _, ev := range events[:n] {
				p := r.slots[ev.Fd].Load()
				if p == nil {
					continue // a closed session's late event
				}
				if m, src, ok := recvFrom(p.from.sock.fd, buf, &sa); ok {
					p.relay(buf[:m], src)
				}
			}
			w.mu.Unlock()
		}
	}
	// Read returns only when the set is closed.
	_ = rc.Read(drain)
}

// pollNow collects the ready events of an epoll set without waiting.
func pollNow(epfd int, events []syscall.EpollEvent) int {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0
	}
	return int(n)
}

// recvFrom reads one datagram without blocking. The raw system call keeps
// the source address in the caller's buffer: syscall.Recvfrom would
// allocate a Sockaddr per packet.
func recvFrom(fd int, buf []byte, sa *syscall.RawSockaddrInet6) (int, netip.AddrPort, bool) {
	salen := uint32(syscall.SizeofSockaddrInet6)
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(sa)), uintptr(unsafe.Pointer(&salen)))
	if e != 0 {
		return 0, netip.AddrPort{}, false
	}
	switch sa.Family {
	case syscall.AF_INET:
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		return int(n), netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port)), true
	case syscall.AF_INET6:
		return int(n), netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), getPort(&sa.Port)), true
	}
	return 0, netip.AddrPort{}, false
}

// sendTo writes one datagram without blocking; false if it was not sent.
func (s *socket) sendTo(pkt []byte, to netip.AddrPort) bool {
	if len(pkt) == 0 {
		return false
	}
	var e syscall.Errno
	if s.v6 {
		sa := syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: to.Addr().As16()}
		putPort(&sa.Port, to.Port())
		_, _, e = syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&pkt[0])), uintptr(len(pkt)),
			0, uintptr(unsafe.Pointer(&sa)), syscall.SizeofSockaddrInet6)
		return e == 0
	}
	if !to.Addr().Is4() {
		return false
	}
	sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: to.Addr().As4()}
	putPort(&sa.Port, to.Port())
	_, _, e = syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&pkt[0])), uintptr(len(pkt)),
		0, uintptr(unsafe.Pointer(&sa)), syscall.SizeofSockaddrInet4)
	return e == 0
}

// The port of a raw socket address is in network byte order.
func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}
