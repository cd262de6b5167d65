package calls

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/pion/rtp"
)

// Prompts: audio the B2BUA itself plays to a phone (an announcement
// before the call is put through, the prompt of an IVR). The audio is
// 8 kHz mono 16-bit linear PCM; it leaves as G.711 in 20 ms RTP packets
// from the relay's address facing that phone, so the phone hears it on
// the stream it already has.

// Audio fetches a prompt from a URL and returns its samples: 8 kHz mono
// 16-bit linear PCM. The webhook deliverer implements it, under the same
// URL policy as its requests.
type Audio interface {
	Audio(url string) ([]int16, error)
}

// frameSamples is 20 ms at 8 kHz.
const frameSamples = 160

// player sends one prompt.
type player struct {
	send  func(pkt []byte) bool
	codec uint8 // 0 PCMU, 8 PCMA
	hdr   rtp.Header
	buf   []byte
}

func newPlayer(codec string, send func([]byte) bool) *player {
	p := &player{send: send, codec: 0}
	if codec == "8" {
		p.codec = 8
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	p.hdr = rtp.Header{Version: 2, PayloadType: p.codec, Marker: true,
		SequenceNumber: binary.BigEndian.Uint16(r[0:2]), Timestamp: binary.BigEndian.Uint32(r[2:6]),
		SSRC: binary.BigEndian.Uint32(r[4:8])}
	p.buf = make([]byte, 12+frameSamples)
	return p
}

// play sends samples in real time until they end (true) or stop closes
// (false). A last partial frame is padded with silence.
func (p *player) play(samples []int16, stop <-chan struct{}) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for off := 0; off < len(samples); off += frameSamples {
		p.frame(samples[off:min(off+frameSamples, len(samples))])
		select {
		case <-stop:
			return false
		case <-tick.C:
		}
	}
	return true
}

// frame encodes and sends one frame.
func (p *player) frame(s []int16) {
	n, err := p.hdr.MarshalTo(p.buf)
	if err != nil {
		return
	}
	payload := p.buf[n : n+frameSamples]
	for i := range payload {
		var v int16
		if i < len(s) {
			v = s[i]
		}
		if p.codec == 8 {
			payload[i] = linearToALaw(v)
		} else {
			payload[i] = linearToULaw(v)
		}
	}
	p.send(p.buf[:n+frameSamples])
	p.hdr.Marker = false
	p.hdr.SequenceNumber++
	p.hdr.Timestamp += frameSamples
}

// linearToULaw encodes a sample in G.711 mu-law.
func linearToULaw(sample int16) byte {
	const bias, clip = 0x84, 32635
	s := int(sample)
	sign := 0
	if s < 0 {
		s, sign = -s, 0x80
	}
	s = min(s, clip) + bias
	exp := 7
	for mask := 0x4000; s&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (s >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// linearToALaw encodes a sample in G.711 A-law.
func linearToALaw(sample int16) byte {
	s := int(sample) >> 3
	mask := 0xd5
	if s < 0 {
		mask, s = 0x55, -s-1
	}
	seg := 0
	for end := 0x1f; seg < 8 && s > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return byte(0x7f ^ mask)
	}
	v := seg << 4
	if seg < 2 {
		v |= (s >> 1) & 0x0f
	} else {
		v |= (s >> seg) & 0x0f
	}
	return byte(v ^ mask)
}
