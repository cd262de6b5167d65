package webhooks

import (
	"bytes"
	"encoding/binary"
	"math"
	"net"
	"sync"
	"testing"
	"time"
)

// pcapWriter writes a capture as sipp's play_pcap_audio reads it
// (Ethernet, IPv4, UDP): sipp takes only the RTP and its timing from it
// and sends it from its own media port. It is the telephone-event twin of
// mediafleet/calls/callstest's PCMA capture.
type pcapWriter struct{ b bytes.Buffer }

func newPcap() *pcapWriter {
	w := &pcapWriter{}
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	w.b.Write(hdr)
	return w
}

// packet adds one RTP packet sent at offset at from the start.
func (w *pcapWriter) packet(at time.Duration, rtp []byte) {
	le, be := binary.LittleEndian, binary.BigEndian
	udp := make([]byte, 8, 8+len(rtp))
	be.PutUint16(udp[0:], 6000)
	be.PutUint16(udp[2:], 6002)
	be.PutUint16(udp[4:], uint16(8+len(rtp)))
	udp = append(udp, rtp...)
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	be.PutUint16(ip[2:], uint16(20+len(udp)))
	frame := append(make([]byte, 12), 0x08, 0x00) // MAC addresses, IPv4
	frame = append(append(frame, ip...), udp...)
	rec := make([]byte, 16)
	le.PutUint32(rec[0:], uint32(at/time.Second))
	le.PutUint32(rec[4:], uint32((at%time.Second)/time.Microsecond))
	le.PutUint32(rec[8:], uint32(len(frame)))
	le.PutUint32(rec[12:], uint32(len(frame)))
	w.b.Write(rec)
	w.b.Write(frame)
}

// eventSSRC is the SSRC of the telephone events the capture carries.
const eventSSRC = 0x7e1e7e1e

// dtmfPcap is a capture of the digits as RFC 4733 telephone events with
// payload type pt: each digit an event of 100 ms, sent as five packets
// 20 ms apart with one timestamp and growing durations (the first with
// the marker bit), then three end packets, as phones send them; 200 ms
// between digits. It starts after lead, so that the B2BUA has the call
// ready to watch for them.
func dtmfPcap(digits string, pt uint8, lead time.Duration) []byte {
	w := newPcap()
	codes := map[rune]uint8{'*': 10, '#': 11, 'A': 12, 'B': 13, 'C': 14, 'D': 15}
	for c := '0'; c <= '9'; c++ {
		codes[c] = uint8(c - '0')
	}
	at, seq, ts := lead, uint16(1), uint32(8000)
	for _, d := range digits {
		for i := range 8 {
			rtp := make([]byte, 16)
			rtp[0], rtp[1] = 0x80, pt
			if i == 0 {
				rtp[1] |= 0x80 // marker: the event starts
			}
			binary.BigEndian.PutUint16(rtp[2:], seq)
			binary.BigEndian.PutUint32(rtp[4:], ts)
			binary.BigEndian.PutUint32(rtp[8:], eventSSRC)
			rtp[12] = codes[d]
			rtp[13] = 10 // volume -10 dBm0
			dur := min(i+1, 5) * 160
			if i >= 5 {
				rtp[13] |= 0x80 // end
			}
			binary.BigEndian.PutUint16(rtp[14:], uint16(dur))
			w.packet(at, rtp)
			seq++
			if i < 5 {
				at += 20 * time.Millisecond
			} else {
				at += 5 * time.Millisecond
			}
		}
		at += 200 * time.Millisecond
		ts += 8000 * 3 / 10 // the next event starts 300 ms of samples later
	}
	return w.b.Bytes()
}

// wav is a WAV file of d of a 440 Hz tone: 8 kHz mono 16-bit PCM, what a
// Play's URL must serve.
func wav(d time.Duration) []byte {
	n := int(d / (time.Second / 8000))
	data := make([]byte, 2*n)
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(s))
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, le, uint32(16))
	_ = binary.Write(&b, le, uint16(1))    // PCM
	_ = binary.Write(&b, le, uint16(1))    // mono
	_ = binary.Write(&b, le, uint32(8000)) // sample rate
	_ = binary.Write(&b, le, uint32(16000))
	_ = binary.Write(&b, le, uint16(2))
	_ = binary.Write(&b, le, uint16(16))
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// rtpSink is the caller's media socket in a test: the trunk's SDP offers
// its port, and it counts the RTP packets that arrive by payload type,
// leaving out those with skip as their SSRC (what the caller itself sent,
// echoed back).
type rtpSink struct {
	conn *net.UDPConn
	skip uint32

	mu    sync.Mutex
	count map[uint8]int
	first time.Time
}

func newRTPSink(t testing.TB, skip uint32) *rtpSink {
	t.Helper()
	c := udpBlock(t)
	s := &rtpSink{conn: c, skip: skip, count: map[uint8]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if n < 12 || buf[0]>>6 != 2 || binary.BigEndian.Uint32(buf[8:]) == s.skip {
				continue
			}
			s.mu.Lock()
			if s.first.IsZero() {
				s.first = time.Now()
			}
			s.count[buf[1]&0x7f]++
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return s
}

func (s *rtpSink) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// packets returns how many packets of payload type pt arrived.
func (s *rtpSink) packets(pt uint8) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[pt]
}
