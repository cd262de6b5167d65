package media

import (
	"encoding/binary"

	"github.com/pion/rtp"
)

// RTP and RTCP header facts the checks need (RFC 3550 sections 5.1, 6.4).
const (
	rtpHeaderLen  = 12
	rtcpHeaderLen = 8 // common header and the sender's SSRC
	version2      = 2
)

// checkRTP reports whether pkt is a well-formed RTP packet, parsing its
// header into h, which the caller reuses from packet to packet.
//
// The cheap tests come first and cover everything pion/rtp would reject:
// Header.Unmarshal reports a short packet with an error built by
// fmt.Errorf, which allocates, and a stream of garbage should cost the
// relay no garbage. Unmarshal does not look at the version or the padding,
// so those are checked here too.
func checkRTP(pkt []byte, h *rtp.Header) bool {
	if len(pkt) < rtpHeaderLen || pkt[0]>>6 != version2 {
		return false
	}
	end := rtpHeaderLen + 4*int(pkt[0]&0x0f) // CSRC list
	if pkt[0]&0x10 != 0 {                    // header extension
		if len(pkt) < end+4 {
			return false
		}
		end += 4 + 4*int(binary.BigEndian.Uint16(pkt[end+2:]))
	}
	if len(pkt) < end {
		return false
	}
	n, err := h.Unmarshal(pkt)
	if err != nil {
		return false
	}
	if h.Padding {
		// The last octet counts the padding, itself included (RFC 3550
		// section 5.1); it cannot be zero or reach into the header.
		pad := int(pkt[len(pkt)-1])
		if pad == 0 || pad > len(pkt)-n {
			return false
		}
	}
	return true
}

// checkRTCP reports whether pkt starts with a well-formed RTCP header:
// version 2, a packet type in the RTCP range of RFC 5761 section 4
// (192-223), and a length that fits the datagram. Only the first packet of
// a compound packet is checked; the phones at either end parse the rest.
// pion/rtcp would parse every packet into allocated structs, which the
// relay has no use for, so the four header octets are checked here.
func checkRTCP(pkt []byte) bool {
	if len(pkt) < rtcpHeaderLen || pkt[0]>>6 != version2 {
		return false
	}
	if pt := pkt[1]; pt < 192 || pt > 223 {
		return false
	}
	return (int(binary.BigEndian.Uint16(pkt[2:]))+1)*4 <= len(pkt)
}

// muxedRTCP reports whether an RTP-checked packet is really RTCP sent on
// the RTP port (rtcp-mux, RFC 5761 section 4): its second octet then reads
// as marker set and payload type 72-76. Such packets are forwarded like
// RTP but kept out of the sequence statistics.
func muxedRTCP(h *rtp.Header) bool {
	return h.Marker && h.PayloadType >= 72 && h.PayloadType <= 76
}
