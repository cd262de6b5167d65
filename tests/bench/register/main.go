// Command register prints REGISTER-with-digest-authentication throughput
// figures of Switchboard's fleet and of Kamailio, measured in the same run
// on this machine with the same sipp scenario
// (mediafleet/registrar/testdata/register.xml) and the same devices.
//
// It starts the local stack (infra/local) on free loopback ports with a
// temporary data folder, creates an account and N users with one phone
// each over the HTTP API, and reads the phones' SIP credentials. It then
// writes a minimal Kamailio registrar (digest authentication against a
// db_text subscriber table holding the same device ids and passwords,
// bindings kept in memory) into a temporary folder and runs it in the
// foreground. For each target it steps sipp's call rate up, one REGISTER
// dialog (REGISTER, 401, REGISTER with credentials, 200) per call, and
// prints each step and the highest rate with fewer than -max-fail percent
// failed calls. A step passes only when sipp also reached at least 90 % of
// the rate asked for (else the step is "slow": the target kept up no
// faster); the stepping of a target stops at its first failing
// step. Each step also prints the target's processor time per REGISTER
// dialog (all its processes) and the datagrams the kernel dropped for a
// full receive buffer (sipp's or the target's; each costs a 0.5 s
// retransmission). With -rounds the whole stepping is repeated, the
// targets taking turns going first, and the best and the median of each
// one's highest passing rate are printed with their ratios; the machine's
// load average is printed at the start and the end. Everything listens
// and sends on 127.0.0.1 only, every sipp run is bounded in calls and
// time, and the whole run is bounded by -timeout.
//
//	go run ./tests/bench/register [-n 200] [-rates 1000,2000,4000,...] [-step 5s] [-rounds 3 -timeout 15m]
//
// Kamailio is the Debian package kamailio (apt-get install -y kamailio),
// sipp the Debian package sip-tester.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/bench/internal/benchstack"
	"github.com/switchboard/switchboard/tests/harness"
)

// options are the command line.
type options struct {
	n       int
	rates   []int
	step    time.Duration
	maxFail float64
	timeout time.Duration
	kam     string
	rounds  int
	targets map[string]bool
	// sippBuffer is sipp's -buff_size; 0: its default.
	sippBuffer int
}

func main() {
	var o options
	var rates string
	flag.IntVar(&o.n, "n", 200, "devices (users with one phone each) registered in turn")
	flag.StringVar(&rates, "rates", "1000,2000,4000,6000,8000,10000,12000,16000,20000,24000", "REGISTER dialogs per second to step through, comma separated")
	flag.DurationVar(&o.step, "step", 5*time.Second, "duration of one step")
	flag.Float64Var(&o.maxFail, "max-fail", 0.1, "failed calls (percent) a step may have and still pass")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "bound of the whole run (raise it with -rounds)")
	flag.StringVar(&o.kam, "kamailio", "kamailio", "Kamailio binary")
	flag.IntVar(&o.sippBuffer, "sipp-buffer", 0, "sipp's socket buffer size in bytes (sipp -buff_size), the same for every target; 0 leaves sipp's default")
	flag.IntVar(&o.rounds, "rounds", 1, "rounds of steps; the targets take turns going first, and the best and median of their highest rates are printed")
	targets := flag.String("targets", "switchboard,kamailio", "targets to measure, comma separated")
	flag.Parse()
	o.targets = map[string]bool{}
	for _, t := range strings.Split(*targets, ",") {
		o.targets[strings.TrimSpace(t)] = true
	}
	for _, f := range strings.Split(rates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r < 1 {
			fatal(fmt.Errorf("-rates: %q is not a positive number", f))
		}
		o.rates = append(o.rates, r)
	}
	if o.n < 1 || o.n > 5000 || o.step < time.Second || o.rounds < 1 || o.rounds > 9 {
		fatal(errors.New("want 1 ≤ -n ≤ 5000, -step ≥ 1s and 1 ≤ -rounds ≤ 9"))
	}
	if err := run(o); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "register:", err)
	os.Exit(1)
}

// target is one registrar under load.
type target struct {
	name, addr string
	proc       *benchstack.Proc
}

// port is the target's UDP port.
func (t target) port() int {
	_, p, _ := net.SplitHostPort(t.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// step is one sipp run.
type step struct {
	rate, calls, ok, failed int
	elapsed                 time.Duration
	// cpu is the processor time the target spent during the step (user
	// and system, all its processes).
	cpu time.Duration
	// drops counts datagrams the kernel dropped for want of room in a
	// socket's receive buffer during the step, on any socket: sipp's
	// or the target's. Each costs a retransmission 0.5 s later.
	drops int64
	// ownDrops are those of drops on the target's socket; the rest are
	// mostly sipp's.
	ownDrops int64
	// failures names sipp's failure counters that are not zero.
	failures string
}

// cpuPerDialog is the target's processor time per REGISTER dialog.
func (s step) cpuPerDialog() time.Duration {
	if s.ok+s.failed == 0 {
		return 0
	}
	return s.cpu / time.Duration(s.ok+s.failed)
}

func (s step) failPct() float64 {
	if s.calls == 0 {
		return 100
	}
	return 100 * float64(s.failed) / float64(s.calls)
}

// achieved is the rate sipp completed calls at.
func (s step) achieved() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok+s.failed) / s.elapsed.Seconds()
}

func (s step) passed(maxFail float64) bool {
	return s.failPct() < maxFail && s.achieved() >= 0.9*float64(s.rate)
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	sippBin, err := exec.LookPath("sipp")
	if err != nil {
		return errors.New("sipp is not installed: apt-get install -y sip-tester")
	}
	kamBin, err := exec.LookPath(o.kam)
	if err != nil {
		return errors.New("kamailio is not installed: apt-get install -y kamailio")
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		return err
	}
	scenario := filepath.Join(root, "mediafleet", "registrar", "testdata", "register.xml")
	if _, err := os.Stat(scenario); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "switchboard-bench-register-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Printf("REGISTER with digest authentication (qop=auth), UDP on 127.0.0.1\n")
	fmt.Printf("machine: %d CPUs (nproc), %s/%s; sipp, Switchboard and Kamailio all run on this machine\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("load average at the start: %s\n", benchstack.LoadAverage())
	if o.sippBuffer > 0 {
		fmt.Printf("sipp's socket buffers: %d bytes (-buff_size)\n", o.sippBuffer)
	}
	fmt.Printf("devices: %d, steps of %s, a step passes with < %.2f %% failed calls and ≥ 90 %% of its rate reached\n\n",
		o.n, o.step, o.maxFail)

	sb, err := benchstack.StartSwitchboard(ctx, root, dir)
	if err != nil {
		return fmt.Errorf("switchboard: %w", err)
	}
	defer sb.Stop()
	t0 := time.Now()
	devs, err := benchstack.Phones(ctx, apiclient.New(sb.URL), o.n, benchstack.MaxPerAccount)
	if err != nil {
		return err
	}
	fmt.Printf("created %d users with a phone each over the API in %s\n", len(devs), time.Since(t0).Round(time.Millisecond))

	kam, err := startKamailio(ctx, kamBin, filepath.Join(dir, "kamailio"), devs)
	if err != nil {
		return fmt.Errorf("kamailio: %w", err)
	}
	defer kam.Stop()

	inf := filepath.Join(dir, "devices.csv")
	if err := writeInjection(inf, devs); err != nil {
		return err
	}
	var targets []target
	for _, t := range []target{{"switchboard", sb.SIPUDP, sb.Proc}, {"kamailio", kam.addr, kam.Proc}} {
		if o.targets[t.name] {
			targets = append(targets, t)
		}
	}
	// Every sipp run uses the same local port, so the phones' contacts
	// stay the same from step to step: a new port would add a second
	// binding per device, and the 200 lists the older one first, whose
	// expires the scenario's check would not match. (sipp's default port,
	// 5060, may be taken by another sipp on the machine.)
	sippPort, err := benchstack.FreeUDP()
	if err != nil {
		return err
	}
	best := map[string][]int{}
	fmt.Printf("\n%-5s %-12s %7s %9s %10s %7s %9s %13s %19s %8s\n", "round", "target", "rate/s", "reached/s", "successful", "failed", "failure%", "cpu µs/dialog", "drops target/other", "result")
	for round := range o.rounds {
		order := targets
		if round%2 == 1 {
			order = slices.Clone(targets)
			slices.Reverse(order)
		}
		for _, t := range order {
			b, err := steps(ctx, o, t, round, sippBin, scenario, inf, filepath.Join(dir, "sipp"), sippPort)
			if err != nil {
				return err
			}
			best[t.name] = append(best[t.name], b)
		}
	}
	fmt.Printf("\nload average at the end: %s\n", benchstack.LoadAverage())
	for _, t := range targets {
		b := best[t.name]
		fmt.Printf("highest rate with < %.2f %% failures: %-12s best %6d, median %6d REGISTER/s (rounds: %v)\n",
			o.maxFail, t.name, slices.Max(b), median(b), b)
	}
	if len(best["kamailio"]) > 0 && len(best["switchboard"]) > 0 {
		ratio := func(a, b int) string {
			if b == 0 {
				return "n/a (Kamailio passed no step)"
			}
			return fmt.Sprintf("%.2f", float64(a)/float64(b))
		}
		fmt.Printf("ratio switchboard/kamailio: best %s, median %s\n",
			ratio(slices.Max(best["switchboard"]), slices.Max(best["kamailio"])),
			ratio(median(best["switchboard"]), median(best["kamailio"])))
	}
	last := o.rates[len(o.rates)-1]
	for _, b := range best {
		if slices.Max(b) == last {
			fmt.Println("note: a target passed the highest step; raise -rates to find its limit")
			break
		}
	}
	return nil
}

// steps steps the rate up against one target until a step fails and
// returns the highest rate that passed (0 for none).
func steps(ctx context.Context, o options, t target, round int, sippBin, scenario, inf, dir string, sippPort int) (int, error) {
	best := 0
	for _, r := range o.rates {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < o.step+30*time.Second {
			fmt.Printf("%-5d %-12s %7d   (skipped: the run's -timeout is near)\n", round+1, t.name, r)
			break
		}
		cpu0, drops0, own0 := t.proc.CPU(), benchstack.UDPDrops(), benchstack.SocketDrops(t.port())
		s, err := sipp(ctx, sippBin, scenario, inf, dir, t.addr, sippPort, o.sippBuffer, r, o.step)
		if err != nil {
			return 0, fmt.Errorf("sipp against %s at %d/s: %w", t.name, r, err)
		}
		s.cpu, s.drops, s.ownDrops = t.proc.CPU()-cpu0, benchstack.UDPDrops()-drops0, benchstack.SocketDrops(t.port())-own0
		res := "pass"
		switch {
		case s.failPct() >= o.maxFail:
			res = "FAIL"
		case !s.passed(o.maxFail):
			res = "slow" // no failures, but sipp could not keep the rate
		}
		fmt.Printf("%-5d %-12s %7d %9.0f %10d %7d %9.3f %13.1f %9d/%-9d %8s  %s\n", round+1, t.name, r, s.achieved(), s.ok, s.failed, s.failPct(),
			float64(s.cpuPerDialog().Nanoseconds())/1e3, s.ownDrops, s.drops-s.ownDrops, res, s.failures)
		if res != "pass" {
			break
		}
		best = r
		time.Sleep(time.Second) // let retransmissions and timers of the step drain
	}
	return best, nil
}

func median(v []int) int {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

// writeInjection writes sipp's injection file in the format of
// mediafleet/registrar/testdata/devices.csv.
func writeInjection(path string, devs []benchstack.Phone) error {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, d := range devs {
		fmt.Fprintf(&b, "%s;%s;[authentication username=%s password=%s];[authentication username=%[3]s password=not-%[4]s]\n",
			d.User, benchstack.SIPDomain, d.AuthUser, d.Password)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// sipp runs one bounded step: calls = rate × step, at most the calls of
// two seconds open at once, every call failing after 5 s without an
// answer, and the whole run killed after step + 30 s.
func sipp(ctx context.Context, bin, scenario, inf, dir, addr string, port, buffer, rate int, stepDur time.Duration) (step, error) {
	calls := int(float64(rate) * stepDur.Seconds())
	s := step{rate: rate, calls: calls}
	if err := os.RemoveAll(dir); err != nil {
		return s, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return s, err
	}
	bound := stepDur + 30*time.Second
	rctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	stat := filepath.Join(dir, "stat.csv")
	var extra []string
	if buffer > 0 {
		extra = []string{"-buff_size", strconv.Itoa(buffer)}
	}
	cmd := exec.CommandContext(rctx, bin, append(extra,
		"-sf", scenario, "-inf", inf,
		"-t", "u1", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-r", strconv.Itoa(rate), "-rp", "1000",
		"-m", strconv.Itoa(calls), "-l", strconv.Itoa(max(2*rate, 50)),
		"-recv_timeout", "5000",
		"-timeout", fmt.Sprintf("%ds", int(bound.Seconds())-5), "-timeout_error",
		"-nostdin",
		"-trace_stat", "-stf", stat, "-fd", "1",
		addr,
	)...)
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
	s.ok = ok
	s.failed = failed
	s.failures = st.Failures()
	if missing := calls - ok - failed; missing > 0 {
		s.failed += missing // calls sipp did not finish count as failed
	}
	// elapsed includes sipp's start-up; take the calls' span from the
	// statistics instead when it is known.
	if d, ok := st.Elapsed(); ok && d > 0 {
		s.elapsed = d
	}
	return s, nil
}

// kamailio is the Kamailio registrar under load.
type kamailio struct {
	*benchstack.Proc
	addr string
}

// kamailioBuffer is the largest UDP receive buffer Kamailio may probe its
// socket up to (maxbuffer; its default is 256 KiB): what Switchboard's
// node asks for, so that neither drops sooner for want of a buffer.
const kamailioBuffer = 8 << 20

// kamailioCfg is a minimal registrar: REGISTER only, digest authentication
// (qop=auth, MD5) against the subscriber table, bindings in memory.
const kamailioCfg = `#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=%[1]d
auto_aliases=no
dns=no
rev_dns=no
maxbuffer=%[7]d
listen=udp:127.0.0.1:%[2]d
alias="%[3]s"

loadmodule "db_text.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 600)
modparam("auth", "secret", "%[4]s")
modparam("auth_db", "db_url", "text://%[5]s")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		exit;
	}
	if (!is_method("REGISTER")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	if (!auth_check("$fd", "subscriber", "%[6]d")) {
		auth_challenge("$fd", "1");
		exit;
	}
	consume_credentials();
	if (!save("location")) {
		sl_reply_error();
	}
	exit;
}
`

func startKamailio(ctx context.Context, bin, dir string, devs []benchstack.Phone) (*kamailio, error) {
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return nil, err
	}
	var sub strings.Builder
	sub.WriteString("id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)\n")
	sameUser := true
	for i, d := range devs {
		fmt.Fprintf(&sub, "%d:%s:%s:%s::\n", i+1, dbtext(d.AuthUser), benchstack.SIPDomain, dbtext(d.Password))
		sameUser = sameUser && d.User == d.AuthUser
	}
	version := "table_name(str) table_version(int)\nsubscriber:7\nlocation:9\n"
	if err := os.WriteFile(filepath.Join(db, "subscriber"), []byte(sub.String()), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(db, "version"), []byte(version), 0o600); err != nil {
		return nil, err
	}
	port, err := benchstack.FreeUDP()
	if err != nil {
		return nil, err
	}
	flags := 0
	if sameUser {
		flags = 1 // the From user must be the authentication user
	}
	children := max(runtime.NumCPU(), 2)
	secret := fmt.Sprintf("bench%d", time.Now().UnixNano())
	cfg := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, kamailioCfg, children, port, benchstack.SIPDomain, secret, db, flags, kamailioBuffer), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "kamailio.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "-DD", "-E", "-f", cfg, "-w", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-m", "128", "-M", "16")
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := benchstack.StartProc(cmd)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-p.Exited():
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("exited before it answered:\n%s", benchstack.Tail(b, 3000))
		default:
		}
		if answers(addr) {
			return &kamailio{Proc: p, addr: addr}, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.Stop()
	b, _ := os.ReadFile(logf.Name())
	return nil, fmt.Errorf("no answer on %s:\n%s", addr, benchstack.Tail(b, 3000))
}

// dbtext escapes a db_text field.
func dbtext(s string) string {
	return strings.NewReplacer(`\`, `\\`, ":", `\:`, "\n", `\n`).Replace(s)
}

// answers says whether a SIP server at addr answers an OPTIONS within
// half a second.
func answers(addr string) bool {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	l := c.LocalAddr().(*net.UDPAddr)
	msg := fmt.Sprintf("OPTIONS sip:%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-bench-%[3]d;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:bench@%[1]s>;tag=%[3]d\r\nTo: <sip:%[1]s>\r\nCall-ID: bench-%[3]d@%[4]s\r\n"+
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", benchstack.SIPDomain, l.String(), time.Now().UnixNano(), l.IP)
	if _, err := c.Write([]byte(msg)); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	return err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 ")
}
