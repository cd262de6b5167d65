// Command relaybench measures the media relay with simulated G.711 calls on
// loopback and prints figures; it asserts nothing.
//
// For each requested number of concurrent calls it runs two phases of the
// same load: a baseline, where each call's two fake phones send straight to
// each other, and a relayed phase, where the relay (package media, run in a
// child process of this command so that its CPU time is its own) anchors
// every call. Each phone sends a 160-octet G.711 payload every 20 ms, so a
// call is 100 packets per second through the relay. Each packet carries its
// send time; the receiving phone records how long it took. The relay's
// added latency is the relayed percentile minus the baseline percentile.
// CPU times are the relay process's and this process's (the phones') while
// the phones send; "other programs' CPU" is what the rest of the machine
// used meanwhile, since latency figures on a shared machine mean little
// when it is not near zero. Build with -tags media_netpoll to measure the
// goroutine-per-socket engine instead of the epoll engine.
//
//	go run ./mediafleet/media/internal/relaybench -calls 500,1000,2000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

type options struct {
	calls      []int
	duration   time.Duration
	warmup     time.Duration
	ptime      time.Duration
	portMin    int
	portMax    int
	cpuprofile string
}

func main() {
	var (
		o     options
		calls string
		serve bool
	)
	flag.StringVar(&calls, "calls", "500,1000,2000", "concurrent calls, one run per comma-separated value")
	flag.DurationVar(&o.duration, "duration", 7*time.Second, "length of each phase (baseline, relayed)")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "start of each phase left out of the latency figures")
	flag.DurationVar(&o.ptime, "ptime", 20*time.Millisecond, "packetization time")
	flag.IntVar(&o.portMin, "portmin", 20000, "relay port range start (below the ephemeral ports the phones use)")
	flag.IntVar(&o.portMax, "portmax", 31999, "relay port range end")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the relay's CPU profile of the relayed phase to this file (suffixed with the call count)")
	flag.BoolVar(&serve, "serve", false, "internal: run the relay for a parent relaybench on stdin/stdout")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if serve {
		if err := runRelay(o, logger); err != nil {
			fmt.Fprintln(os.Stderr, "relaybench serve:", err)
			os.Exit(1)
		}
		return
	}
	for _, s := range strings.Split(calls, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "relaybench: bad -calls value %q\n", s)
			os.Exit(2)
		}
		o.calls = append(o.calls, n)
	}
	if o.duration > 9*time.Second || o.duration <= o.warmup {
		fmt.Fprintln(os.Stderr, "relaybench: -duration must exceed -warmup and stay within 9s (two phases per run, 20s at most)")
		os.Exit(2)
	}
	if err := bench(o); err != nil {
		fmt.Fprintln(os.Stderr, "relaybench:", err)
		os.Exit(1)
	}
}

func bench(o options) error {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "G.711, %v packetization, 172-octet RTP packets, both directions; %v per phase, first %v left out of latency\n",
		o.ptime, o.duration, o.warmup)
	fmt.Fprintf(w, "%6s %10s %10s %7s | %17s | %17s | %17s | %9s %9s\n",
		"calls", "sent", "received", "loss%", "relayed p50/p99", "baseline p50/p99", "added p50/p99", "relay CPU", "gen CPU")
	_ = w.Flush()
	for _, n := range o.calls {
		base, err := phase(o, n, false)
		if err != nil {
			return fmt.Errorf("%d calls, baseline: %w", n, err)
		}
		rel, err := phase(o, n, true)
		if err != nil {
			return fmt.Errorf("%d calls, relayed: %w", n, err)
		}
		loss := 100 * float64(rel.sent-rel.received) / float64(max(rel.sent, 1))
		rp50, rp99 := rel.lat.quantile(0.50), rel.lat.quantile(0.99)
		bp50, bp99 := base.lat.quantile(0.50), base.lat.quantile(0.99)
		fmt.Fprintf(w, "%6d %10d %10d %7.3f | %8s %8s | %8s %8s | %8s %8s | %8.2fs %8.2fs\n",
			n, rel.sent, rel.received, loss, us(rp50), us(rp99), us(bp50), us(bp99), us(rp50-bp50), us(rp99-bp99),
			rel.relayCPU.Seconds(), rel.genCPU.Seconds())
		fmt.Fprintf(w, "%6s relay: %s\n", "", rel.relayStats)
		fmt.Fprintf(w, "%6s baseline loss %.3f%%; max latency relayed %s, baseline %s; other programs' CPU during the phases: relayed %.2fs, baseline %.2fs\n", "",
			100*float64(base.sent-base.received)/float64(max(base.sent, 1)), us(rel.lat.max()), us(base.lat.max()),
			rel.otherCPU.Seconds(), base.otherCPU.Seconds())
		_ = w.Flush()
	}
	return nil
}

// us formats a duration in microseconds.
func us(d time.Duration) string {
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}
