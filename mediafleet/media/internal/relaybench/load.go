package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// result is what one phase measured.
type result struct {
	sent, received uint64
	lat            *histogram
	genCPU         time.Duration // this process: the phones
	relayCPU       time.Duration // the relay process, while the phones sent
	relayStats     string
	otherCPU       time.Duration // everything else on the machine meanwhile
}

// phone is one side of a simulated call: a socket on an ephemeral
// loopback port, and where it sends (the other phone, or its relay leg).
type phone struct {
	conn     *net.UDPConn
	to       netip.AddrPort
	phase    time.Duration // offset of its packets within a ptime
	ssrc     uint32
	seq      uint16
	sent     uint64 // written by its sender goroutine only
	received atomic.Uint64
}

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// phase runs n calls for o.duration, straight between the phones or
// through a relay process.
func phase(o options, n int, relayed bool) (*result, error) {
	phones := make([]*phone, 2*n) // call i: phones 2i (side A) and 2i+1 (side B)
	defer func() {
		for _, p := range phones {
			if p != nil {
				_ = p.conn.Close()
			}
		}
	}()
	for i := range phones {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, fmt.Errorf("phone socket %d: %w", i, err)
		}
		// Spread the phones' packets evenly over the packetization time,
		// as independent calls would be.
		phones[i] = &phone{conn: c, ssrc: uint32(i + 1), phase: time.Duration(i) * o.ptime / time.Duration(len(phones))}
	}
	var relay *relayProcess
	if relayed {
		var err error
		if relay, err = startRelay(o, phones); err != nil {
			return nil, err
		}
		defer relay.kill()
	} else {
		for i := 0; i < len(phones); i += 2 {
			phones[i].to, phones[i+1].to = phones[i+1].addr(), phones[i].addr()
		}
	}

	res := &result{lat: &histogram{}}
	epoch := time.Now()
	stopReceivers, err := receiveAll(phones, epoch, o.warmup, res.lat)
	if err != nil {
		return nil, err
	}
	cpu0, machine0 := cpuTime(), machineCPU()
	if relay != nil {
		if err := relay.begin(); err != nil {
			return nil, err
		}
	}
	send(o, phones, epoch)
	time.Sleep(300 * time.Millisecond) // packets in flight arrive
	res.genCPU = cpuTime() - cpu0
	if relay != nil {
		var err error
		if res.relayCPU, res.relayStats, err = relay.finish(); err != nil {
			return nil, err
		}
	}
	res.otherCPU = max(machineCPU()-machine0-res.genCPU-res.relayCPU, 0)
	stopReceivers()
	for _, p := range phones {
		_ = p.conn.Close()
		res.sent += p.sent
	}
	for _, p := range phones {
		res.received += p.received.Load()
	}
	return res, nil
}

// senders is how many goroutines send; each takes every senders-th phone.
const senders = 4

// send makes every phone send one packet per ptime for o.duration.
func send(o options, phones []*phone, epoch time.Time) {
	var wg sync.WaitGroup
	for k := range senders {
		var mine []*phone
		for i := k; i < len(phones); i += senders {
			mine = append(mine, phones[i])
		}
		wg.Go(func() { sendLoop(o, mine, epoch) })
	}
	wg.Wait()
}

// sendLoop sends the packets of its phones in phase order, sleeping while
// the next one is not yet due. The packet's send time goes into its first
// payload octets, so lateness of the loop does not count as latency.
func sendLoop(o options, mine []*phone, epoch time.Time) {
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0 // version 2, PCMU
	rounds := int(o.duration / o.ptime)
	for r := range rounds {
		start := time.Duration(r) * o.ptime
		for _, p := range mine {
			if wait := start + p.phase - time.Since(epoch); wait > 200*time.Microsecond {
				time.Sleep(wait)
			}
			p.seq++
			binary.BigEndian.PutUint16(pkt[2:], p.seq)
			binary.BigEndian.PutUint32(pkt[4:], uint32(p.seq)*160)
			binary.BigEndian.PutUint32(pkt[8:], p.ssrc)
			binary.BigEndian.PutUint64(pkt[12:], uint64(time.Since(epoch)))
			if _, err := p.conn.WriteToUDPAddrPort(pkt, p.to); err == nil {
				p.sent++
			}
		}
	}
}

// record accounts for one packet a phone received.
func (p *phone) record(pkt []byte, now time.Duration, warmup time.Duration, lat *histogram) {
	if len(pkt) != 12+160 {
		return
	}
	p.received.Add(1)
	if sentAt := time.Duration(binary.BigEndian.Uint64(pkt[12:])); sentAt >= warmup {
		lat.add(now - sentAt)
	}
}
