package node

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Socket sizes of the UDP listener. A burst of requests while the readers
// are descheduled (a garbage collection, another process on the core) is
// held by the kernel instead of dropped: at 40,000 datagrams a second the
// default 208 KiB buffer lasts a few milliseconds. The kernel caps the
// values at net.core.rmem_max and wmem_max.
const (
	udpReadBuffer  = 8 << 20
	udpWriteBuffer = 4 << 20
)

// maxDatagram is the largest datagram read; sipgo reads with the same size.
var maxDatagram = sip.TransportBufferReadSize

// queueDepth bounds the datagrams waiting for sipgo's reader. When it is
// full the node's readers wait, and the kernel buffer fills behind them,
// as it would with sipgo reading the socket itself.
const queueDepth = 1024

// udpFront reads the node's UDP socket with several goroutines. A request
// whose method has a stateless route is parsed and answered right in the
// reader (stateless.go); every other datagram goes, unchanged, to sipgo's
// UDP transport, which reads it from sipgoConn as if from the socket and
// sends through the socket.
type udpFront struct {
	conn    *net.UDPConn
	n       *Node
	methods map[string]Handler // stateless routes, by method token
	parser  *sip.Parser
	answers *answerCache
	queue   chan datagram
	done    chan struct{} // closed once every reader has returned
	bufs    sync.Pool     // of *[]byte, maxDatagram long
}

// datagram is one datagram handed to sipgo.
type datagram struct {
	buf  *[]byte
	n    int
	from netip.AddrPort
}

func newUDPFront(conn *net.UDPConn, n *Node, stateless map[string]Handler) *udpFront {
	f := &udpFront{
		conn: conn, n: n, methods: stateless, parser: sip.NewParser(),
		answers: newAnswerCache(answerCacheSize, answerCacheAge),
		queue:   make(chan datagram, queueDepth),
		done:    make(chan struct{}),
	}
	f.bufs.New = func() any { b := make([]byte, maxDatagram); return &b }
	// Best effort: a smaller buffer still works, it only drops sooner.
	_ = conn.SetReadBuffer(udpReadBuffer)
	_ = conn.SetWriteBuffer(udpWriteBuffer)
	return f
}

// readers is how many goroutines read the socket: one per processor but
// one, and at least one. A reader answers stateless requests itself, so
// it is busy, not parked, while datagrams keep coming; more readers than
// that only add wake-ups and context switches, and the processor left over
// runs sipgo, the call router and the runtime.
func readers() int { return min(max(runtime.GOMAXPROCS(0)-1, 1), 8) }

// run reads until the socket is closed, then tells sipgoConn that the
// socket is gone. It returns the first read error other than the socket
// being closed (sipgo's own reader logs such an error and stops too).
func (f *udpFront) run() error {
	var wg sync.WaitGroup
	errs := make([]error, readers())
	for i := range errs {
		wg.Go(func() { errs[i] = f.read() })
	}
	wg.Wait()
	close(f.done)
	return errors.Join(errs...)
}

func (f *udpFront) read() error {
	buf := make([]byte, maxDatagram)
	st := &stateless{front: f}
	for {
		n, from, err := f.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// The socket stops, so the node stops: a read error on a
			// bound UDP socket does not go away by reading again.
			f.n.log.Error("sip udp read failed", "error", err.Error())
			_ = f.conn.Close()
			return err
		}
		data := buf[:n]
		if h := f.statelessRoute(data); h != nil && st.serve(h, data, from) {
			continue
		}
		f.pass(data, from)
	}
}

// statelessRoute returns the stateless handler of the request's method, or
// nil when the datagram is no request of such a method.
func (f *udpFront) statelessRoute(data []byte) Handler {
	if len(f.methods) == 0 {
		return nil
	}
	sp := bytes.IndexByte(data[:min(len(data), 32)], ' ')
	if sp <= 0 {
		return nil
	}
	return f.methods[string(data[:sp])] // no allocation for a map lookup
}

// pass hands a datagram to sipgo's reader.
func (f *udpFront) pass(data []byte, from netip.AddrPort) {
	b := f.bufs.Get().(*[]byte)
	n := copy(*b, data)
	f.queue <- datagram{buf: b, n: n, from: from}
}

// sipgoConn is the listening socket as sipgo's UDP transport sees it: it
// reads the datagrams the node's readers pass on and writes straight to
// the socket, so that requests the node originates (keep-alives, the call
// router's INVITEs) leave from the node's address. Closing it closes the
// socket.
type sipgoConn struct {
	f *udpFront
}

func (c sipgoConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-c.f.queue:
		n := copy(b, (*d.buf)[:d.n])
		c.f.bufs.Put(d.buf)
		return n, net.UDPAddrFromAddrPort(d.from), nil
	case <-c.f.done:
		return 0, nil, net.ErrClosed
	}
}

func (c sipgoConn) WriteTo(b []byte, addr net.Addr) (int, error) { return c.f.conn.WriteTo(b, addr) }
func (c sipgoConn) Close() error                                 { return c.f.conn.Close() }
func (c sipgoConn) LocalAddr() net.Addr                          { return c.f.conn.LocalAddr() }
func (c sipgoConn) SetDeadline(t time.Time) error                { return c.f.conn.SetDeadline(t) }
func (c sipgoConn) SetReadDeadline(t time.Time) error            { return c.f.conn.SetReadDeadline(t) }
func (c sipgoConn) SetWriteDeadline(t time.Time) error           { return c.f.conn.SetWriteDeadline(t) }
