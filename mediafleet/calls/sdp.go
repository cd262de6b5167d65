package calls

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The B2BUA reads and rewrites SDP (RFC 4566, offer/answer of RFC 3264)
// only as far as anchoring needs: where a phone wants its audio (the
// connection address and port of the first audio stream), whether it is
// on hold (the direction attribute, or the old c=0.0.0.0 form), and the
// same body with the relay's address in place of the phone's. Everything
// else passes as the phone wrote it, the codec list in particular: the
// relay does not transcode, so the phones agree on PCMU, PCMA and
// telephone-event between themselves.

// maxSDP bounds the bodies the B2BUA parses.
const maxSDP = 8 << 10

// Errors of parseSDP; both are answered 488 or 400 toward the phone.
var (
	errNoSDP     = errors.New("sdp: no session description")
	errBadSDP    = errors.New("sdp: malformed session description")
	errNoAudio   = errors.New("sdp: no audio stream")
	errSDPTooBig = errors.New("sdp: session description too long")
)

// sdpInfo is what the B2BUA takes from one side's session description.
type sdpInfo struct {
	// Addr is the RTP address of the first audio stream: its connection
	// address (media level, else session level) and its port. The port
	// is 0 when the stream is declined.
	Addr netip.AddrPort
	// Direction is the stream's direction attribute (media level, else
	// session level): sendrecv, sendonly, recvonly or inactive.
	Direction string
	// Formats lists the payload types of the audio stream in order.
	Formats []string
	// Events is the payload type of telephone-event/8000 (RFC 4733) in
	// the audio stream, "" when the phone did not name one.
	Events string
}

// holds reports whether the side that wrote the description asks not to
// receive media: sendonly or inactive, or the connection address
// 0.0.0.0 that RFC 2543 used for hold.
func (s sdpInfo) holds() bool {
	return s.Direction == "sendonly" || s.Direction == "inactive" || s.Addr.Addr().IsUnspecified()
}

// sdpLines splits a body into its lines, accepting CRLF and bare LF.
func sdpLines(body []byte) []string {
	text := strings.TrimRight(string(body), "\r\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// parseSDP checks a body and returns what anchoring needs from it.
func parseSDP(body []byte) (sdpInfo, error) {
	var info sdpInfo
	if len(bytes.TrimSpace(body)) == 0 {
		return info, errNoSDP
	}
	if len(body) > maxSDP {
		return info, errSDPTooBig
	}
	lines := sdpLines(body)
	if lines[0] != "v=0" {
		return info, errBadSDP
	}
	for _, l := range lines[1:] {
		if len(l) < 2 || l[1] != '=' || l[0] < 'a' || l[0] > 'z' {
			return info, errBadSDP
		}
	}
	session, media := sections(lines)
	i, err := anchored(media)
	if err != nil {
		return info, err
	}
	f := strings.Fields(media[i][0][2:])
	port, _ := strconv.Atoi(f[1])
	info.Formats = append([]string(nil), f[3:]...)
	addr, dir, err := connection(media[i][1:])
	if err != nil {
		return info, err
	}
	info.Events = eventsType(media[i][1:], info.Formats)
	if !addr.IsValid() || dir == "" {
		saddr, sdir, err := connection(session)
		if err != nil {
			return info, err
		}
		if !addr.IsValid() {
			addr = saddr
		}
		if dir == "" {
			dir = sdir
		}
	}
	if !addr.IsValid() {
		return info, errBadSDP
	}
	if dir == "" {
		dir = "sendrecv"
	}
	info.Addr = netip.AddrPortFrom(addr, uint16(port))
	info.Direction = dir
	return info, nil
}

// sections splits a description's lines into the session part and the
// media sections, each starting with its m= line.
func sections(lines []string) (session []string, media [][]string) {
	for i, l := range lines {
		if strings.HasPrefix(l, "m=") {
			if session == nil {
				session = lines[:i]
			}
			media = append(media, []string{l})
			continue
		}
		if len(media) > 0 {
			media[len(media)-1] = append(media[len(media)-1], l)
		}
	}
	if session == nil {
		session = lines
	}
	return session, media
}

// anchored picks the media section the relay anchors: the first audio
// stream the phone did not decline, else the first audio stream. Every m=
// line must be well formed.
func anchored(media [][]string) (int, error) {
	first, active := -1, -1
	for i, m := range media {
		f := strings.Fields(m[0][2:])
		if len(f) < 4 {
			return 0, errBadSDP
		}
		p, err := strconv.Atoi(f[1])
		if err != nil || p < 0 || p > 65535 {
			return 0, errBadSDP
		}
		if f[0] != "audio" {
			continue
		}
		if first < 0 {
			first = i
		}
		if active < 0 && p != 0 {
			active = i
		}
	}
	switch {
	case active >= 0:
		return active, nil
	case first >= 0:
		return first, nil
	}
	return 0, errNoAudio
}

// connection reads the connection address and direction attribute among
// the lines of one level (session or media).
func connection(lines []string) (netip.Addr, string, error) {
	var addr netip.Addr
	var dir string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "c="):
			a, err := parseConnection(l[2:])
			if err != nil {
				return addr, dir, err
			}
			addr = a
		case strings.HasPrefix(l, "a="):
			if d := direction(l[2:]); d != "" {
				dir = d
			}
		}
	}
	return addr, dir, nil
}

// parseConnection reads the value of a c= line: "IN IP4 192.0.2.1".
// A TTL or address count suffix (multicast) is refused.
func parseConnection(v string) (netip.Addr, error) {
	f := strings.Fields(v)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return netip.Addr{}, errBadSDP
	}
	a, err := netip.ParseAddr(f[2])
	if err != nil || a.Zone() != "" || (f[1] == "IP4") != a.Is4() {
		return netip.Addr{}, errBadSDP
	}
	return a, nil
}

// direction returns the direction an attribute value names, or "".
func direction(attr string) string {
	switch attr {
	case "sendrecv", "sendonly", "recvonly", "inactive":
		return attr
	}
	return ""
}

// dropAttrs are attributes that name addresses or transports of the phone
// that the relay replaces: ICE candidates and credentials (the relay does
// no ICE) and an explicit RTCP port (the relay's RTCP is its RTP port + 1).
var dropAttrs = []string{
	"rtcp:", "candidate:", "ice-ufrag:", "ice-pwd:", "ice-options:", "ice-lite",
	"end-of-candidates", "remote-candidates:", "ice-mismatch",
}

// rewriteSDP returns body with the relay's address in place of the
// phone's: the origin and connection addresses become relay's address
// (except a hold's 0.0.0.0), the anchored audio stream's port becomes
// relay's port, other streams are declined (port 0: the relay anchors one
// audio stream per call), and attributes naming the phone's own transport
// addresses are dropped. The codec list and every other line pass
// unchanged. A stream the phone declined (port 0) stays declined. body
// must have passed parseSDP.
func rewriteSDP(body []byte, relay netip.AddrPort) []byte {
	ipVer, ip := "IP4", relay.Addr().Unmap()
	if ip.Is6() {
		ipVer = "IP6"
	}
	lines := sdpLines(body)
	_, media := sections(lines)
	anchor, _ := anchored(media)
	var out bytes.Buffer
	out.Grow(len(body) + 64)
	section := -1
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "o="):
			f := strings.Fields(l[2:])
			if len(f) == 6 {
				f[4], f[5] = ipVer, ip.String()
				l = "o=" + strings.Join(f, " ")
			}
		case strings.HasPrefix(l, "c="):
			// c=0.0.0.0 is the old way to put a call on hold (RFC 2543);
			// the other phone is told so as it was written.
			if a, err := parseConnection(l[2:]); err != nil || !a.IsUnspecified() {
				l = "c=IN " + ipVer + " " + ip.String()
			}
		case strings.HasPrefix(l, "m="):
			section++
			f := strings.Fields(l[2:])
			if len(f) >= 4 {
				switch {
				case section != anchor:
					f[1] = "0"
				case f[1] != "0":
					f[1] = strconv.Itoa(int(relay.Port()))
				}
				l = "m=" + strings.Join(f, " ")
			}
		case strings.HasPrefix(l, "a="):
			if dropped(l[2:]) {
				continue
			}
		}
		out.WriteString(l)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

func dropped(attr string) bool {
	for _, p := range dropAttrs {
		if strings.HasPrefix(attr, p) {
			return true
		}
	}
	return false
}

// eventsType finds the payload type a stream maps to telephone-event at
// 8 kHz, among its formats.
func eventsType(lines, formats []string) string {
	for _, l := range lines {
		v, ok := strings.CutPrefix(l, "a=rtpmap:")
		if !ok {
			continue
		}
		pt, enc, _ := strings.Cut(v, " ")
		if strings.EqualFold(strings.TrimSpace(enc), "telephone-event/8000") && slices.Contains(formats, pt) {
			return pt
		}
	}
	return ""
}

// g711Codec is the first G.711 codec of an offer: "0" (PCMU) or "8"
// (PCMA), the static payload types; "" when it has neither.
func (s sdpInfo) g711Codec() string {
	for _, f := range s.Formats {
		if f == "0" || f == "8" {
			return f
		}
	}
	return ""
}

// ownSDP is the B2BUA's own session description, for a call it answers
// itself (a prompt, collecting digits) and for the offer to the callee it
// then rings: one audio stream at the relay's address with the codec
// chosen from the caller's offer and, when the caller named one,
// telephone-event under the caller's payload type. Both phones get the
// same codec, so the relay carries the call without transcoding.
func ownSDP(relay netip.AddrPort, codec, events string, session int64) []byte {
	ipVer, ip := "IP4", relay.Addr().Unmap()
	if ip.Is6() {
		ipVer = "IP6"
	}
	var b strings.Builder
	sid := strconv.FormatInt(session, 10)
	b.WriteString("v=0\r\no=switchboard " + sid + " " + sid + " IN " + ipVer + " " + ip.String() + "\r\n")
	b.WriteString("s=Switchboard\r\nc=IN " + ipVer + " " + ip.String() + "\r\nt=0 0\r\n")
	b.WriteString("m=audio " + strconv.Itoa(int(relay.Port())) + " RTP/AVP " + codec)
	if events != "" {
		b.WriteString(" " + events)
	}
	b.WriteString("\r\n")
	if codec == "8" {
		b.WriteString("a=rtpmap:8 PCMA/8000\r\n")
	} else {
		b.WriteString("a=rtpmap:0 PCMU/8000\r\n")
	}
	if events != "" {
		b.WriteString("a=rtpmap:" + events + " telephone-event/8000\r\na=fmtp:" + events + " 0-16\r\n")
	}
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return []byte(b.String())
}
