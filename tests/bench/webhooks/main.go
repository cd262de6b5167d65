// Command webhooks prints how long an integration waits for the newCall
// webhook of a call: p50, p90, p99 and the maximum over -n calls (1,000 by
// default) from the trunk through the local stack.
//
// It builds and starts the local stack (infra/local) on free loopback
// ports with a temporary data folder and a trunk on 127.0.0.1, signs an
// account up over the API, routes its first number to a user and points
// the account's incoming webhook URL at a Go HTTP server on 127.0.0.1 (the
// consumer). sipp then plays the trunk: -n calls to that number at -rate
// calls per second (trunk.xml beside this file), each from a caller
// number of its own. The consumer answers every newCall
// with <Reject reason="busy"/>, so each call ends with 486 and the run
// needs no phones; the figure measured comes before any steering.
//
// The latency of a call is the time from sipp about to send the INVITE
// (the scenario reads the wall clock with gettimeofday and logs it right
// before the send) to the consumer's handler starting on the newCall
// request for that caller number (time.Now in the handler). Both clocks
// are this machine's wall clock. The INVITE's way over loopback to the
// fleet's socket is tens of microseconds, so the figure stands for the
// fleet seeing the INVITE to the consumer receiving newCall, if anything
// a little more. sipp's message trace is not used: it is stamped after
// the send, late by as much as sipp is busy. X-Switchboard-Timestamp is
// not used either: it has whole seconds only (it is signed).
//
//	go run ./tests/bench/webhooks [-n 1000] [-rate 50] [-limit 100]
//
// Everything listens and sends on 127.0.0.1 only; the run is bounded by
// -timeout. It is a script, not a test: go test runs nothing here.
package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

type options struct {
	n, rate, limit int
	timeout        time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "calls measured")
	flag.IntVar(&o.rate, "rate", 50, "calls per second sipp starts")
	flag.IntVar(&o.limit, "limit", 100, "most calls sipp has open at once")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound of the whole run")
	flag.Parse()
	if o.n < 1 || o.n > 100000 || o.rate < 1 || o.limit < 1 {
		fmt.Fprintln(os.Stderr, "want -n in 1..100000, -rate and -limit positive")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webhooks bench:", err)
		os.Exit(1)
	}
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
	dir, err := os.MkdirTemp("", "switchboard-bench-webhooks-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	c := newConsumer()
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	trunk, err := freeUDP()
	if err != nil {
		return err
	}
	sb, err := startStack(ctx, root, dir, "127.0.0.1:"+strconv.Itoa(trunk))
	if err != nil {
		return fmt.Errorf("local stack: %w", err)
	}
	defer sb.stop()
	number, secret, err := setUp(ctx, apiclient.New("http://"+sb.http), "http://"+ln.Addr().String()+"/in")
	if err != nil {
		return err
	}
	c.setSecret(secret)

	fmt.Printf("newCall latency: INVITE from the trunk (sipp) to the consumer receiving newCall, all on 127.0.0.1\n")
	fmt.Printf("machine: %d CPUs, %s/%s; load average at the start: %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, loadAverage())
	fmt.Printf("calls: %d at %d/s (at most %d open), to %s; the consumer answers newCall with <Reject reason=\"busy\"/>\n",
		o.n, o.rate, o.limit, number)
	fmt.Printf("measured: sipp's clock right before it sends the INVITE (gettimeofday in the scenario) to the consumer's handler\n")
	fmt.Printf("  starting (time.Now), one wall clock; the INVITE's way over loopback to the fleet is tens of µs, so this is the\n")
	fmt.Printf("  fleet seeing the INVITE to newCall received, if anything a little more. Not used: sipp's message trace (stamped\n")
	fmt.Printf("  after the send) and X-Switchboard-Timestamp (whole Unix seconds).\n\n")

	scen := filepath.Join(root, "tests", "bench", "webhooks", "trunk.xml")
	// A short warm-up (connections, caches), then the measured run.
	if _, err := calls(ctx, sippBin, scen, dir, "warmup", "4930299", number, trunk, sb.sip, 20, o.rate, o.limit); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	const prefix = "4930201"
	start := time.Now()
	sent, err := calls(ctx, sippBin, scen, dir, "bench", prefix, number, trunk, sb.sip, o.n, o.rate, o.limit)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	// newCall of the last calls may still be on its way.
	deadline := time.Now().Add(5 * time.Second)
	for c.count(prefix) < len(sent) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var lat []time.Duration
	missing := 0
	for from, at := range sent {
		got, ok := c.received(from)
		if !ok {
			missing++
			continue
		}
		lat = append(lat, got.Sub(at))
	}
	if len(lat) == 0 {
		return errors.New("the consumer received no newCall of the measured calls")
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("calls placed: %d in %s; newCall received for %d, missing %d; bad signatures: %d\n",
		len(sent), elapsed.Round(time.Millisecond), len(lat), missing, c.badSignatures())
	fmt.Printf("p50 %s   p90 %s   p99 %s   max %s   (min %s)\n",
		round(pct(0.50)), round(pct(0.90)), round(pct(0.99)), round(lat[len(lat)-1]), round(lat[0]))
	if missing > 0 {
		return fmt.Errorf("%d calls without a newCall", missing)
	}
	return nil
}

func round(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

// consumer is the integration: it notes when each caller number's newCall
// arrived, checks its signature, and rejects the call.
type consumer struct {
	mu     sync.Mutex
	secret []byte
	first  map[string]time.Time // by the newCall's from
	bad    int
}

func newConsumer() *consumer { return &consumer{first: map[string]time.Time{}} }

func (c *consumer) setSecret(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secret = []byte(s)
}

func (c *consumer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	c.mu.Lock()
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(r.Header.Get("X-Switchboard-Timestamp") + "."))
	mac.Write(body)
	if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(r.Header.Get("X-Switchboard-Signature"))) {
		c.bad++
	}
	if form.Get("event") == "newCall" {
		if _, seen := c.first[form.Get("from")]; !seen {
			c.first[form.Get("from")] = now
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	_, _ = io.WriteString(w, `<Response><Reject reason="busy"/></Response>`)
}

func (c *consumer) received(from string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.first[from]
	return t, ok
}

func (c *consumer) count(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for from := range c.first {
		if strings.HasPrefix(from, prefix) {
			n++
		}
	}
	return n
}

func (c *consumer) badSignatures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bad
}

// setUp signs an account up, routes its first number to a new user and
// points the incoming webhook URL at hook. It returns the number (E.164
// digits) and the signing secret.
func setUp(ctx context.Context, api *apiclient.Client, hook string) (string, string, error) {
	a, err := api.SignUp(ctx, "Bench GmbH", fmt.Sprintf("bench.%d@example.com", time.Now().UnixNano()))
	if err != nil {
		return "", "", err
	}
	if _, err := api.Expect(ctx, http.MethodPost, "/v1/users", map[string]any{"name": "Anna Alpha",
		"email": fmt.Sprintf("anna.%d@example.com", time.Now().UnixNano()), "extension": "11", "number": a.Numbers[0]},
		a.Token, http.StatusCreated, http.StatusOK); err != nil {
		return "", "", err
	}
	r, err := api.Expect(ctx, http.MethodPut, "/v1/webhooks", map[string]any{"incoming": map[string]any{"url": hook}}, a.Token)
	if err != nil {
		return "", "", err
	}
	secret := apiclient.Str(r.JSON, "signingSecret")
	if secret == "" {
		return "", "", fmt.Errorf("no signing secret in %s", r)
	}
	return strings.TrimPrefix(a.Numbers[0], "+"), secret, nil
}

// calls runs sipp as the trunk: n calls from prefix+1 … prefix+n to
// number, and returns when each call's INVITE was sent, by caller number.
func calls(ctx context.Context, sippBin, scen, dir, trace, prefix, number string, trunk int, node string, n, rate, limit int) (map[string]time.Time, error) {
	media, err := freeUDP()
	if err != nil {
		return nil, err
	}
	inf := filepath.Join(dir, trace+".csv")
	if err := os.WriteFile(inf, []byte(fmt.Sprintf("SEQUENTIAL\n%s;%s;%d\n", prefix, number, media)), 0o644); err != nil {
		return nil, err
	}
	logs := filepath.Join(dir, trace+".log")
	cmd := exec.CommandContext(ctx, sippBin, "-sf", scen, "-inf", inf, "-i", "127.0.0.1", "-p", strconv.Itoa(trunk),
		"-mp", strconv.Itoa(media), "-m", strconv.Itoa(n), "-r", strconv.Itoa(rate), "-l", strconv.Itoa(limit),
		"-nostdin", "-timeout", "120s", "-timeout_error", "-trace_logs", "-log_file", logs,
		"-trace_err", "-error_file", filepath.Join(dir, trace+".errors"), node)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, trace+".errors"))
		return nil, fmt.Errorf("sipp: %v\n%s\n%s", err, tail(out, 2000), tail(errs, 2000))
	}
	return invites(logs)
}

// invites reads the scenario's log: the time each INVITE was about to be
// sent, by caller number.
func invites(path string) (map[string]time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != "invite" {
			continue
		}
		sec, err1 := strconv.ParseFloat(f[2], 64)
		usec, err2 := strconv.ParseFloat(f[3], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("sipp log %q: %w", line, err)
		}
		if _, seen := out[f[1]]; !seen {
			out[f[1]] = time.Unix(int64(sec), int64(usec)*1000)
		}
	}
	return out, nil
}

// stack is the running local stack.
type stack struct {
	cmd       *exec.Cmd
	exited    chan struct{}
	http, sip string
}

// startStack builds infra/local and runs it on free loopback ports with
// its data in dir, its log in dir/stack.log.
func startStack(ctx context.Context, root, dir, trunk string) (*stack, error) {
	bin := filepath.Join(dir, "switchboard-local")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./infra/local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-data", filepath.Join(dir, "data"), "-http", "127.0.0.1:0", "-sip-udp", "127.0.0.1:0",
		"-sip-tcp", "127.0.0.1:0", "-stun", "127.0.0.1:0", "-log-format", "text", "-trunk", trunk)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &stack{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan map[string]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		sent := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !sent && strings.Contains(sc.Text(), `msg="switchboard ready"`) {
				ready <- harness.ParseLogLine(sc.Text())
				sent = true
			}
		}
		close(ready)
	}()
	go func() { _ = cmd.Wait(); logf.Close(); close(s.exited) }()
	select {
	case kv, ok := <-ready:
		if !ok {
			return nil, errors.New("exited before it was ready")
		}
		s.http, s.sip = kv["http"], kv["sip_udp"]
		return s, nil
	case <-time.After(harness.ReadyTimeout):
		s.stop()
		return nil, fmt.Errorf("not ready after %s", harness.ReadyTimeout)
	}
}

// stop ends the stack with SIGTERM, killing it after ten seconds.
func (s *stack) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func freeUDP() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
