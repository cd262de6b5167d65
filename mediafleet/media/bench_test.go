package media

import (
	"testing"
)

// BenchmarkLoopback sends G.711 packets from one fake phone through a
// session to the other, one at a time, over loopback sockets: each
// operation is a send, the relay's read, check and write, and the far
// phone's read. Allocations counted include the phones' (none either).
func BenchmarkLoopback(b *testing.B) {
	e := newEnv(b, nil)
	pa, pb := e.phone(), e.phone()
	s := e.connect(pa, pb)
	pkt := g711(0, 1, 1)
	buf := make([]byte, 2048)
	to := s.Leg(A).Local()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	seq := uint16(0)
	for b.Loop() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		if _, err := pa.rtp.WriteToUDPAddrPort(pkt, to); err != nil {
			b.Fatal(err)
		}
		if _, _, err := pb.rtp.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := s.Stats(); st.A.Lost != 0 || st.A.Malformed+st.A.Stray != 0 {
		b.Fatalf("stats %+v", st.A)
	}
}
