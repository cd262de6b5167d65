package media

import (
	"log/slog"
	"net/netip"
	"testing"

	"github.com/pion/rtp"
)

// testPath is a path with no sockets, latched to src and forwarding to
// dst, for the per-packet tests, the fuzz target and the benchmark.
func testPath(rtcp bool) (*path, netip.AddrPort, netip.AddrPort) {
	src := netip.MustParseAddrPort("203.0.113.7:40000")
	dst := netip.MustParseAddrPort("198.51.100.9:50000")
	from := &endpoint{side: A, rtcp: rtcp}
	to := &endpoint{side: B, rtcp: rtcp}
	from.peer.Store(&peer{addr: src, latched: true})
	to.peer.Store(&peer{addr: dst, latched: true})
	var clock int64
	tick := func() int64 { clock++; return clock }
	return newPath(from, to, &Leg{side: B}, rtcp, tick, slog.New(slog.DiscardHandler)), src, dst
}

func TestForward(t *testing.T) {
	p, src, dst := testPath(false)
	other := netip.AddrPortFrom(src.Addr(), src.Port()+2)
	tests := []struct {
		name string
		pkt  []byte
		src  netip.AddrPort
		want verdict
	}{
		{"PCMU", g711(0, 1, 1), src, forwarded},
		{"telephone-event", marshal(rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 2, SSRC: 1}, []byte{1, 0x8a, 0, 160}), src, forwarded},
		{"muxed RTCP", []byte{0x80, 200, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, src, forwarded},
		{"stray", g711(0, 3, 1), other, dropStray},
		{"malformed", g711(0, 3, 1)[:8], src, dropMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, v := p.forward(tt.pkt, tt.src)
			if v != tt.want || (v == forwarded) != (got == dst) {
				t.Fatalf("forward = %v, %d; want verdict %d", got, v, tt.want)
			}
		})
	}
	if n := p.ssrc.Load(); n != 1 {
		t.Errorf("ssrc %d", n)
	}
	if n := p.packets.Load(); n != 3 {
		t.Errorf("accepted %d packets, want 3", n)
	}
}

// TestForwardAllocs checks the hot-path promise: no allocation per packet.
func TestForwardAllocs(t *testing.T) {
	for _, rtcp := range []bool{false, true} {
		p, src, _ := testPath(rtcp)
		pkt := g711(0, 1, 1)
		if rtcp {
			pkt = receiverReport(1)
		}
		bad := []byte{0x80, 0, 0}
		seq := uint16(0)
		allocs := testing.AllocsPerRun(1000, func() {
			if !rtcp {
				seq++
				pkt[2], pkt[3] = byte(seq>>8), byte(seq)
			}
			if _, v := p.forward(pkt, src); v != forwarded {
				t.Fatalf("verdict %d", v)
			}
			p.forward(bad, src)
			p.forward(pkt, netip.AddrPortFrom(src.Addr(), 9))
		})
		if allocs != 0 {
			t.Errorf("rtcp=%v: %.1f allocations per packet", rtcp, allocs)
		}
	}
}

func TestCheckRTP(t *testing.T) {
	var h rtp.Header
	ext := rtp.Header{Version: 2, SSRC: 1}
	if err := ext.SetExtension(3, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"G.711", g711(8, 1, 1), true},
		{"header only", g711(8, 1, 1)[:12], true},
		{"one-byte extension", marshal(ext, []byte{9}), true},
		{"15 CSRCs", marshal(rtp.Header{Version: 2, CSRC: make([]uint32, 15)}, nil), true},
		{"version 3", append([]byte{0xc0}, g711(0, 1, 1)[1:]...), false},
		{"11 octets", make([]byte, 11), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkRTP(tt.pkt, &h); got != tt.want {
				t.Fatalf("checkRTP = %v", got)
			}
		})
	}
}

func TestSeqTracker(t *testing.T) {
	tests := []struct {
		name string
		seqs []uint16
		ssrc []uint32 // per packet; nil: all 1
		want uint64
	}{
		{"in order", []uint16{1, 2, 3, 4}, nil, 0},
		{"one gap", []uint16{1, 2, 4, 5}, nil, 1},
		{"wrap", []uint16{65534, 65535, 0, 2}, nil, 1},
		{"reordered", []uint16{1, 3, 2, 4}, nil, 0},
		{"duplicate", []uint16{1, 2, 2, 3}, nil, 0},
		{"new SSRC keeps earlier loss", []uint16{1, 3, 500, 501}, []uint32{1, 1, 2, 2}, 1},
		{"sender restarted its sequence", []uint16{10, 12, 40000, 40001}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s seqTracker
			var lost uint64
			for i, seq := range tt.seqs {
				ssrc := uint32(1)
				if tt.ssrc != nil {
					ssrc = tt.ssrc[i]
				}
				lost = s.observe(ssrc, seq)
			}
			if lost != tt.want {
				t.Fatalf("lost %d, want %d", lost, tt.want)
			}
		})
	}
}

func TestReachable(t *testing.T) {
	for addr, want := range map[string]bool{
		"203.0.113.5": true, "127.0.0.1": true, "2001:db8::1": true,
		"10.1.2.3": false, "192.168.178.20": false, "172.16.0.1": false, "100.64.1.1": false,
		"169.254.1.1": false, "0.0.0.0": false, "fd00::1": false, "fe80::1": false, "224.0.0.1": false,
	} {
		if got := reachable(netip.MustParseAddr(addr)); got != want {
			t.Errorf("reachable(%s) = %v", addr, got)
		}
	}
}

// FuzzForward feeds arbitrary datagrams to the per-packet decision. It must
// never panic, must count every packet exactly once, and must forward only
// packets that parse as RTP (or whose first header is RTCP).
func FuzzForward(f *testing.F) {
	f.Add(g711(0, 1, 1), false)
	f.Add(receiverReport(1), true)
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0}, false)
	f.Add([]byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3}, false)
	f.Add([]byte{0x8f, 0, 0, 1}, false)
	f.Fuzz(func(t *testing.T, pkt []byte, rtcp bool) {
		p, src, _ := testPath(rtcp)
		_, v := p.forward(pkt, src)
		counted := p.packets.Load() + p.malformed.Load() + p.stray.Load()
		if counted != 1 {
			t.Fatalf("packet counted %d times", counted)
		}
		if v != forwarded {
			return
		}
		if rtcp {
			if !checkRTCP(pkt) {
				t.Fatal("forwarded RTCP that fails the check")
			}
			return
		}
		var full rtp.Packet
		if err := full.Unmarshal(pkt); err != nil {
			t.Fatalf("forwarded a packet pion/rtp cannot parse: %v", err)
		}
		if full.Version != 2 {
			t.Fatalf("forwarded version %d", full.Version)
		}
	})
}

// BenchmarkForward measures the per-packet decision for a G.711 packet,
// without sockets.
func BenchmarkForward(b *testing.B) {
	p, src, _ := testPath(false)
	pkt := g711(0, 1, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	seq := uint16(0)
	for b.Loop() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		if _, v := p.forward(pkt, src); v != forwarded {
			b.Fatalf("verdict %d", v)
		}
	}
}
