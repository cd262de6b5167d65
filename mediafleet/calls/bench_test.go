package calls

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCallSetup places calls through the B2BUA on loopback, one
// after the other: INVITE with its 407 round, the fork to the callee's
// phone, 180 and 200 with SDP, both ACKs, the relay session, BYE on both
// legs, the call record and the events. No RTP flows. It prints calls per
// second; it asserts nothing about speed.
func BenchmarkCallSetup(b *testing.B) {
	e := newEnv(b, options{})
	caller, callee := e.newPhone(0), e.newPhone(3)
	caller.register()
	callee.register()
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() { // the events of every call, which Publish waits for room for
		defer close(drained)
		for {
			select {
			case <-e.events:
			case <-stop:
				return
			}
		}
	}()
	b.Cleanup(func() {
		close(stop)
		<-drained
	})
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		cctx, cancel := context.WithTimeout(ctx, wait)
		s, err := caller.call(cctx, "12")
		if err != nil {
			cancel()
			b.Fatalf("call: %v", err)
		}
		if err := s.Bye(cctx); err != nil {
			cancel()
			b.Fatalf("bye: %v", err)
		}
		cancel()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	e.settle()
}
