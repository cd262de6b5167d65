// Package media is the RTP relay of a fleet node: it anchors both legs of
// every call, so that phones send their media to the fleet and never to
// each other. The B2BUA (package calls) opens a Session per call, writes
// each Leg's Local address into the SDP it sends to that side, and hands
// each side's SDP address to the Leg with SetRemote.
//
// # What it does
//
// A session owns two RTP/RTCP port pairs from the configured range (even
// port RTP, the port above RTCP), one facing each phone. Packets arriving
// on leg A's sockets go out of leg B's sockets to B's phone, and the other
// way round; RTCP takes the same way on the odd ports. Payloads pass
// unchanged: G.711 PCMU and PCMA, RFC 4733 telephone-event, anything else
// the phones agreed on. The relay never transcodes and never rewrites a
// header, so sequence numbers, timestamps and SSRCs reach the far phone as
// they were sent, and SRTP would pass as well.
//
// Each packet's header is checked: RTP must be version 2 and its header
// (CSRC list, extension, padding) must fit the datagram, parsed with
// pion/rtp's Header.Unmarshal into a header reused by the socket's
// goroutine; RTCP must be version 2 with a packet type of 192-223 and a
// length that fits. Packets that fail are dropped and counted (Malformed),
// as are datagrams longer than 1500 octets.
//
// # Latching (symmetric RTP)
//
// Phones behind NAT write an address into SDP that is not where their
// packets come from, so the relay sends each phone's media to where that
// phone's packets actually come from, learned from its first packets.
// The rule, applied per socket (RTP and RTCP latch on their own):
//
//   - Before SetRemote, nothing is accepted from a leg.
//   - After SetRemote, the first well-formed packet whose source passes
//     the check latches the leg to that exact source address and port.
//     The check: when the SDP address is reachable as written (a public
//     address, or loopback for a phone on the relay's host), the source
//     must have the same IP, any port, which covers NATs that keep the
//     address but move ports and phones that write their public address
//     found with STUN. When the SDP address is private (RFC 1918, ULA),
//     shared (CGNAT, RFC 6598), link-local, multicast or unspecified
//     (c=0.0.0.0), any source may latch.
//   - Until a leg has latched, packets toward it go to the SDP address if
//     that is reachable, and are held back (counted as Unrouted) if not:
//     a private address cannot be reached from a public relay, and phones
//     send first in practice, which latches them.
//   - After latching, packets from any other source are dropped (Stray).
//     This bounds the RTP-bleed attack (a stranger spraying the port
//     range to hijack streams) to the moment between SetRemote and the
//     phone's first packet, and to legs whose SDP address is private.
//   - SetRemote with a different address (a re-INVITE moved the stream)
//     starts latching anew; SetRemote with the same address keeps the
//     latch, so a session refresh costs nothing.
//
// A phone whose NAT mapping changes in the middle of a call (a new source
// port, with no re-INVITE) is not re-learned: its packets count as Stray
// until the next SetRemote.
//
// # Hold and timeouts
//
// SetHold(true) on a leg stops RTP toward it; RTCP goes on. A session ends
// by itself when no accepted packet (RTP or RTCP, either leg) arrived for
// Config.RTPTimeout, or Config.HoldTimeout while a leg is held (phones may
// fall silent on hold). Session.Done and Session.Err tell the B2BUA, which
// then hangs the call up.
//
// # The packet path
//
// The per-packet work is path.forward (the header check, the source
// check, the hold flag and where the other leg's phone is) and one write
// out of the other leg's socket. It allocates nothing and takes no lock:
// the peer address is an immutable value behind an atomic pointer,
// replaced by SetRemote or latching; the counters are atomics written only
// by the goroutine that reads the socket and read by Session.Stats; there
// are no maps (epoll events carry a slot index into a table of the port
// range). Only a latch allocates (once per SetRemote). Nothing is logged
// per packet; latching is logged at debug level, sessions ending at info.
//
// Two engines read the sockets. On 64-bit Linux (the fleet's hosts), a
// worker per CPU drains its own level-triggered epoll set: one recvfrom
// per event, hundreds of packets per epoll_wait when busy, no goroutine
// switch in between, and the worker parks in the Go runtime's poller when
// its set is empty. Elsewhere (and with -tags media_netpoll), every socket
// has a goroutine reading it through the runtime's poller. On loopback
// the Linux engine uses about half the CPU per relayed packet (about 4 µs,
// nearly all of it in recvfrom and sendto) of the goroutine-per-socket
// engine, which pays a second recvfrom that finds the socket empty and a
// park and wake-up of the goroutine per packet. internal/relaybench
// measures both with simulated calls.
//
// Ports come from a first-in, first-out pool: a port freed by Close goes to
// the end of the queue, so a straggling packet of an ended call is unlikely
// to reach the next call that gets the port. A pair some other program has
// bound is skipped. The default range 20000-39999 overlaps Linux's
// ephemeral ports (32768-60999); fleet hosts reserve the range
// (net.ipv4.ip_local_reserved_ports) so that outgoing connections never
// take a media port.
//
// # What it is not
//
// The relay does no SIP and no SDP: the B2BUA parses and rewrites SDP and
// calls SetRemote and SetHold. It does not transcode, does not generate
// RTCP of its own, does not handle ICE, DTLS-SRTP or rtcp-mux negotiation
// (muxed RTCP arriving on the RTP port is forwarded like RTP and kept out
// of the loss counts), and does not play or record. Playback (greetings,
// music on hold) and recording (voicemail) will attach to a leg in its
// place: a leg whose far end is a player or recorder inside the node
// rather than the other phone, reusing the leg's sockets, latching and
// counters, with the G.711 framing done there.
package media
