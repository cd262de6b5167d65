package media

import "sync"

// portPool hands out RTP ports (even; RTCP is the port above) first in,
// first out: a port given back goes to the end of the queue, so the longest
// idle port is reused first and a late packet of an ended call is unlikely
// to reach the next call on the same port.
type portPool struct {
	mu    sync.Mutex
	ring  []uint16 // circular queue of free RTP ports
	head  int      // index of the next port to hand out
	count int      // free ports in the queue
}

func newPortPool(minPort, maxPort int) *portPool {
	p := &portPool{}
	for port := minPort; port+1 <= maxPort; port += 2 {
		p.ring = append(p.ring, uint16(port))
	}
	p.count = len(p.ring)
	return p
}

// get takes the next free RTP port; ok is false when none is free.
func (p *portPool) get() (port int, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count == 0 {
		return 0, false
	}
	port = int(p.ring[p.head])
	p.head = (p.head + 1) % len(p.ring)
	p.count--
	return port, true
}

// put gives an RTP port back. Every port put was got before, so the queue
// never overflows.
func (p *portPool) put(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ring[(p.head+p.count)%len(p.ring)] = uint16(port)
	p.count++
}

// free is the number of ports in the queue.
func (p *portPool) free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}
