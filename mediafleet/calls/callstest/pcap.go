// Package callstest holds what tests of calls with real SIP peers share:
// media for sipp to play. It is imported only by tests (mediafleet/calls'
// and tests/calls').
package callstest

import (
	"bytes"
	"encoding/binary"
)

// PCMAPcap is a capture of n RTP packets of PCMA silence, 20 ms apart, as
// sipp's play_pcap_audio reads them (Ethernet, IPv4, UDP). sipp takes only
// the RTP from it and sends it from its own media port.
func PCMAPcap(n int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	for i := range n {
		rtp := make([]byte, 12+160)
		rtp[0], rtp[1] = 0x80, 8
		binary.BigEndian.PutUint16(rtp[2:], uint16(i+1))
		binary.BigEndian.PutUint32(rtp[4:], uint32(160*i))
		binary.BigEndian.PutUint32(rtp[8:], 0x51bb0a)
		for j := 12; j < len(rtp); j++ {
			rtp[j] = 0xd5 // A-law silence
		}
		udp := make([]byte, 8, 8+len(rtp))
		binary.BigEndian.PutUint16(udp[0:], 6000)
		binary.BigEndian.PutUint16(udp[2:], 6002)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(rtp)))
		udp = append(udp, rtp...)
		ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		frame := append(make([]byte, 12), 0x08, 0x00) // MAC addresses, IPv4
		frame = append(append(frame, ip...), udp...)
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(i/50))
		le.PutUint32(rec[4:], uint32(i%50)*20000)
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
	}
	return b.Bytes()
}
