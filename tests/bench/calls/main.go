// Command calls prints call figures of Switchboard's fleet on this machine:
// calls per second through the B2BUA with media anchored in the relay,
// measured with sipp against the local stack, and the concurrent G.711
// calls the relay carries, with their loss and the latency the relay adds,
// measured by mediafleet/media/internal/relaybench.
//
// It starts the local stack (infra/local) on free loopback ports with a
// temporary data folder, creates accounts with -pairs caller and callee
// users (one phone each; a caller and its callee share an account) over
// the HTTP API, and registers every callee's phone from one sipp UAS
// port, where a sipp UAS (mediafleet/calls/testdata/sipp/uas.xml, with
// RTP echo) then answers every call. For each rate of -rates a sipp UAC
// (uac.xml beside this file) places rate × -step calls, each from the
// next caller of its injection file to that caller's callee: INVITE, 407,
// INVITE with credentials, 200, ACK, -media of PCMA from a pcap file
// (echoed back by the callee through the relay), BYE. Each step prints
// the calls attempted, successful and failed, the rate reached, the
// stack's processor time per call and sipp's average call length; at the
// end comes the highest rate with fewer than -max-fail percent failures
// and at least 90 % of the rate reached (a step below that is "slow").
// "drops" counts datagrams the kernel dropped for a full receive buffer on
// any socket; most are the echoed RTP the caller's sipp never reads. Then relaybench runs with
// -relay-calls. Figures only: nothing is asserted. Everything listens and
// sends on 127.0.0.1, every sipp run is bounded, and so is the whole run.
//
//	go run ./tests/bench/calls [-pairs 1000] [-rates 100,200,400,600,800] [-step 5s] [-media 1s]
//
// sipp is the Debian package sip-tester.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/mediafleet/calls/callstest"
	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/bench/internal/benchstack"
	"github.com/switchboard/switchboard/tests/harness"
)

// uacScenario is the caller; its pause is the -media duration.
//
//go:embed uac.xml
var uacScenario string

type options struct {
	pairs      int
	rates      []int
	step       time.Duration
	media      time.Duration
	maxFail    float64
	relayCalls string
	timeout    time.Duration
	perfRate   int
	perfOut    string
	showErrors bool
}

func main() {
	var o options
	var rates string
	flag.IntVar(&o.pairs, "pairs", 1000, "caller and callee pairs (two users with a phone each)")
	flag.StringVar(&rates, "rates", "100,200,400,600,800", "calls per second to step through, comma separated")
	flag.DurationVar(&o.step, "step", 5*time.Second, "duration of one step's call placing")
	flag.DurationVar(&o.media, "media", time.Second, "length of each call's answered part with RTP (PCMA from a pcap)")
	flag.Float64Var(&o.maxFail, "max-fail", 0.1, "failed calls (percent) a step may have and still pass")
	flag.StringVar(&o.relayCalls, "relay-calls", "500,1000,2000", "concurrent calls for relaybench (empty: skip it)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound of the whole run")
	flag.BoolVar(&o.showErrors, "errors", false, "print the end of sipp's error log of a step with failed calls")
	flag.IntVar(&o.perfRate, "perf-rate", 0, "profile the stack with Linux perf (perf record -g) during the step of this rate")
	flag.StringVar(&o.perfOut, "perf-out", "calls.perf.data", "perf's output file for -perf-rate (read it with perf report -i)")
	flag.Parse()
	for _, f := range strings.Split(rates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r < 1 {
			fatal(fmt.Errorf("-rates: %q is not a positive number", f))
		}
		o.rates = append(o.rates, r)
	}
	if o.pairs < 1 || o.pairs > 5000 || o.step < time.Second || o.media < 20*time.Millisecond || o.media > 10*time.Second {
		fatal(errors.New("want 1 ≤ -pairs ≤ 5000, -step ≥ 1s and 20ms ≤ -media ≤ 10s"))
	}
	if err := run(o); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "calls:", err)
	os.Exit(1)
}

// perAccount is how many users an account gets: an even number, so that
// a caller and its callee are in the same account and dial by extension.
const perAccount = benchstack.MaxPerAccount / 2 * 2

// step is one sipp UAC run.
type step struct {
	rate, calls, ok, failed int
	elapsed                 time.Duration
	cpu                     time.Duration // the stack's processor time
	drops                   int64
	failures                string
	callLength              string // sipp's average call length, HH:MM:SS:µs
}

func (s step) failPct() float64 {
	if s.calls == 0 {
		return 100
	}
	return 100 * float64(s.failed) / float64(s.calls)
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	sippBin, err := exec.LookPath("sipp")
	if err != nil {
		return errors.New("sipp is not installed: apt-get install -y sip-tester")
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "switchboard-bench-calls-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Printf("Calls through the B2BUA with media anchored in the relay, sipp over UDP on 127.0.0.1\n")
	fmt.Printf("machine: %d CPUs (nproc), %s/%s; sipp and Switchboard run on this machine\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("load average at the start: %s\n", benchstack.LoadAverage())
	fmt.Printf("pairs: %d, steps of %s, %s of PCMA per call (echoed by the callee), a step passes with < %.2f %% failed calls\n\n",
		o.pairs, o.step, o.media, o.maxFail)

	sb, err := benchstack.StartSwitchboard(ctx, root, dir)
	if err != nil {
		return fmt.Errorf("switchboard: %w", err)
	}
	defer sb.Stop()
	t0 := time.Now()
	phones, err := benchstack.Phones(ctx, apiclient.New(sb.URL), 2*o.pairs, perAccount)
	if err != nil {
		return err
	}
	fmt.Printf("created %d users with a phone each over the API in %s\n", len(phones), time.Since(t0).Round(time.Millisecond))

	uas, err := startCallees(ctx, sippBin, root, dir, sb.SIPUDP, phones)
	if err != nil {
		return err
	}
	defer uas.Stop()

	if err := writeCaller(dir, o, phones); err != nil {
		return err
	}
	fmt.Printf("\n%7s %9s %9s %10s %7s %9s %11s %8s %6s  %-15s %s\n", "rate/s", "attempted", "reached/s", "successful", "failed", "failure%", "cpu ms/call", "drops", "result", "call length", "failures")
	best := 0
	for _, r := range o.rates {
		bound := o.step + o.media + 40*time.Second
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < bound+60*time.Second {
			fmt.Printf("%7d   (skipped: the run's -timeout is near)\n", r)
			break
		}
		var perf *benchstack.Proc
		if r == o.perfRate {
			if perf, err = benchstack.Perf(sb.Proc, o.perfOut); err != nil {
				return err
			}
		}
		cpu0, drops0 := sb.CPU(), benchstack.UDPDrops()
		s, err := placeCalls(ctx, sippBin, dir, sb.SIPUDP, r, o)
		if perf != nil {
			perf.Interrupt()
		}
		if err != nil {
			return fmt.Errorf("sipp at %d calls/s: %w", r, err)
		}
		s.cpu, s.drops = sb.CPU()-cpu0, benchstack.UDPDrops()-drops0
		// sipp's elapsed time runs until the last call ends: the rate
		// the calls were placed at leaves one call's media out.
		reached := 0.0
		if d := s.elapsed - o.media; d > 0 {
			reached = float64(s.ok+s.failed) / d.Seconds()
		}
		res := "pass"
		switch {
		case s.failPct() >= o.maxFail:
			res = "FAIL"
		case reached < 0.9*float64(r):
			res = "slow" // no failures, but the calls could not be placed at the rate
		default:
			best = r
		}
		perCall := 0.0
		if s.ok+s.failed > 0 {
			perCall = float64(s.cpu.Microseconds()) / 1e3 / float64(s.ok+s.failed)
		}
		fmt.Printf("%7d %9d %9.0f %10d %7d %9.3f %11.2f %8d %6s  %-15s %s\n", r, s.calls, reached, s.ok, s.failed, s.failPct(), perCall, s.drops, res, s.callLength, s.failures)
		time.Sleep(2 * time.Second) // let the relay's sessions and the B2BUA's timers of the step drain
	}
	fmt.Printf("\nhighest rate with < %.2f %% failures: %d calls/s (load average now: %s)\n", o.maxFail, best, benchstack.LoadAverage())
	if best == o.rates[len(o.rates)-1] {
		fmt.Println("note: the highest step passed; raise -rates to find the limit")
	}
	uas.Stop()
	sb.Stop()

	if o.relayCalls == "" {
		return nil
	}
	fmt.Printf("\nMedia relay (relaybench): concurrent G.711 calls, loss and the relay's added latency\n")
	cmd := exec.CommandContext(ctx, "go", "run", "./mediafleet/media/internal/relaybench", "-calls", o.relayCalls)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("relaybench: %w", err)
	}
	return nil
}

// startCallees registers every callee's phone from one UDP port with sipp
// and starts a sipp UAS on that port that answers every call with PCMA and
// echoes the RTP it gets.
func startCallees(ctx context.Context, sippBin, root, dir, node string, phones []benchstack.Phone) (*benchstack.Proc, error) {
	scenarios := filepath.Join(root, "mediafleet", "calls", "testdata", "sipp")
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	n := 0
	for i := 1; i < len(phones); i += 2 {
		p := phones[i]
		fmt.Fprintf(&b, "%s;%s;[authentication username=%s password=%s]\n", p.User, benchstack.SIPDomain, p.AuthUser, p.Password)
		n++
	}
	inf := filepath.Join(dir, "callees.csv")
	if err := os.WriteFile(inf, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	port, err := benchstack.FreeUDP()
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	reg := exec.CommandContext(rctx, sippBin, "-sf", filepath.Join(scenarios, "register.xml"), "-inf", inf,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-m", strconv.Itoa(n), "-r", "200", "-l", "200",
		"-nostdin", "-timeout", "50s", "-timeout_error", node)
	reg.Dir = dir
	t0 := time.Now()
	if out, err := reg.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("registering the callees: %v\n%s", err, benchstack.Tail(out, 2000))
	}
	fmt.Printf("registered %d callee phones from 127.0.0.1:%d in %s\n", n, port, time.Since(t0).Round(time.Millisecond))
	media, err := freeEvenUDP()
	if err != nil {
		return nil, err
	}
	uas := exec.Command(sippBin, "-sf", filepath.Join(scenarios, "uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mp", strconv.Itoa(media), "-rtp_echo", "-nostdin")
	uas.Dir = dir
	log, err := os.Create(filepath.Join(dir, "uas.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	uas.Stdout, uas.Stderr = log, log
	p, err := benchstack.StartProc(uas)
	if err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // sipp binds before it reads its scenario's first message
	select {
	case <-p.Exited():
		b, _ := os.ReadFile(log.Name())
		return nil, fmt.Errorf("sipp UAS exited:\n%s", benchstack.Tail(b, 2000))
	default:
	}
	return p, nil
}

// freeEvenUDP finds a free even UDP port with a free odd one above it, for
// sipp's media (RTP and RTCP).
func freeEvenUDP() (int, error) {
	for range 50 {
		p, err := benchstack.FreeUDP()
		if err != nil {
			return 0, err
		}
		if p%2 == 0 {
			return p, nil
		}
	}
	return 0, errors.New("no free even UDP port")
}

// writeCaller writes the UAC scenario with the media pause, the pcap it
// plays and its injection file: caller i of each pair calls the callee's
// extension.
func writeCaller(dir string, o options, phones []benchstack.Phone) error {
	sc := strings.ReplaceAll(uacScenario, "MEDIA_MS", strconv.Itoa(int(o.media/time.Millisecond)))
	if err := os.WriteFile(filepath.Join(dir, "uac.xml"), []byte(sc), 0o600); err != nil {
		return err
	}
	packets := int(o.media / (20 * time.Millisecond))
	if err := os.WriteFile(filepath.Join(dir, "g711a.pcap"), callstest.PCMAPcap(packets), 0o600); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := 0; i+1 < len(phones); i += 2 {
		caller, callee := phones[i], phones[i+1]
		fmt.Fprintf(&b, "%s;%s;%s;[authentication username=%s password=%s]\n",
			caller.User, callee.Extension, benchstack.SIPDomain, caller.AuthUser, caller.Password)
	}
	return os.WriteFile(filepath.Join(dir, "callers.csv"), []byte(b.String()), 0o600)
}

// placeCalls runs one bounded sipp UAC step: rate × step calls, a call
// failing after 10 s without an answer, and the run killed after
// step + media + 40 s.
func placeCalls(ctx context.Context, sippBin, dir, node string, rate int, o options) (step, error) {
	calls := int(float64(rate) * o.step.Seconds())
	s := step{rate: rate, calls: calls}
	bound := o.step + o.media + 40*time.Second
	rctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	port, err := benchstack.FreeUDP()
	if err != nil {
		return s, err
	}
	media, err := freeEvenUDP()
	if err != nil {
		return s, err
	}
	stat := filepath.Join(dir, fmt.Sprintf("uac-%d.csv", rate))
	// At most the calls of (media + 3 s) open at once: a call lasts the
	// media and a little signalling, more only when something stalls.
	limit := max(int(float64(rate)*(o.media.Seconds()+3)), 50)
	cmd := exec.CommandContext(rctx, sippBin, "-sf", filepath.Join(dir, "uac.xml"), "-inf", filepath.Join(dir, "callers.csv"),
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(media),
		"-r", strconv.Itoa(rate), "-rp", "1000", "-m", strconv.Itoa(calls), "-l", strconv.Itoa(limit),
		"-recv_timeout", "10000", "-timeout", fmt.Sprintf("%ds", int(bound.Seconds())-5), "-timeout_error",
		"-nostdin", "-trace_stat", "-stf", stat, "-fd", "1",
		"-trace_err", "-error_file", filepath.Join(dir, fmt.Sprintf("uac-%d.errors", rate)), node)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	s.elapsed = time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return s, err
	}
	st, perr := benchstack.ReadStat(stat)
	ok, failed, cerr := st.Calls()
	if perr = errors.Join(perr, cerr); perr != nil {
		return s, fmt.Errorf("%v (exit %v)\n%s", perr, err, benchstack.Tail(out, 2000))
	}
	s.ok, s.failed, s.failures = ok, failed, st.Failures()
	s.callLength = st.Field("CallLength(C)")
	if missing := calls - ok - failed; missing > 0 {
		s.failed += missing // calls sipp did not finish count as failed
	}
	if d, ok := st.Elapsed(); ok && d > 0 {
		s.elapsed = d
	}
	if s.failed > 0 && o.showErrors {
		if b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("uac-%d.errors", rate))); err == nil {
			fmt.Printf("sipp's errors at %d calls/s (end):\n%s\n", rate, benchstack.Tail(b, 1500))
		}
	}
	return s, nil
}
