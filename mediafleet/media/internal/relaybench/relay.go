package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/mediafleet/media"
)

// relayProcess is the relay running in a child process. The protocol on
// its standard input and output, one line each: the parent sends the call
// count and, per call, the two phones' addresses; the child answers, per
// call, the two legs' relay addresses. "go" starts the measured span; the
// end of input ends it, and the child answers its CPU time and counters.
type relayProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startRelay(o options, phones []*phone) (*relayProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", "-portmin", strconv.Itoa(o.portMin), "-portmax", strconv.Itoa(o.portMax)}
	if o.cpuprofile != "" {
		args = append(args, "-cpuprofile", fmt.Sprintf("%s.%d", o.cpuprofile, len(phones)/2))
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	rp := &relayProcess{cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	w := bufio.NewWriter(in)
	fmt.Fprintln(w, len(phones)/2)
	for i := 0; i < len(phones); i += 2 {
		fmt.Fprintln(w, phones[i].addr(), phones[i+1].addr())
	}
	if err := w.Flush(); err != nil {
		rp.kill()
		return nil, err
	}
	for i := 0; i < len(phones); i += 2 {
		var a, b string
		if !rp.out.Scan() {
			rp.kill()
			return nil, errors.New("relay process ended during setup")
		}
		if _, err := fmt.Sscan(rp.out.Text(), &a, &b); err != nil {
			rp.kill()
			return nil, fmt.Errorf("relay answer %q: %w", rp.out.Text(), err)
		}
		phones[i].to, phones[i+1].to = netip.MustParseAddrPort(a), netip.MustParseAddrPort(b)
	}
	return rp, nil
}

func (rp *relayProcess) begin() error {
	_, err := fmt.Fprintln(rp.in, "go")
	return err
}

// finish ends the measured span and the process, returning the relay's
// CPU time within the span and its counters.
func (rp *relayProcess) finish() (time.Duration, string, error) {
	_ = rp.in.Close()
	var cpu time.Duration
	var stats string
	if rp.out.Scan() {
		_, _ = fmt.Sscan(rp.out.Text(), &cpu)
	}
	if rp.out.Scan() {
		stats = rp.out.Text()
	}
	if err := rp.cmd.Wait(); err != nil {
		return 0, "", fmt.Errorf("relay process: %w", err)
	}
	return cpu, stats, nil
}

func (rp *relayProcess) kill() {
	if rp.cmd.ProcessState == nil {
		_ = rp.cmd.Process.Kill()
		_ = rp.cmd.Wait()
	}
}

// runRelay is the child's side of the protocol.
func runRelay(o options, logger *slog.Logger) error {
	r, err := media.New(media.Config{
		ListenIP: netip.MustParseAddr("127.0.0.1"), PortMin: o.portMin, PortMax: o.portMax, RTPTimeout: time.Minute,
	}, logger)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	var n int
	if !in.Scan() {
		return errors.New("no call count")
	}
	if _, err := fmt.Sscan(in.Text(), &n); err != nil {
		return err
	}
	sessions := make([]*media.Session, 0, n)
	for i := range n {
		var a, b string
		if !in.Scan() {
			return errors.New("input ended during setup")
		}
		if _, err := fmt.Sscan(in.Text(), &a, &b); err != nil {
			return err
		}
		s, err := r.Open("bench-" + strconv.Itoa(i))
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		sessions = append(sessions, s)
		if err := s.Leg(media.A).SetRemote(netip.MustParseAddrPort(a)); err != nil {
			return err
		}
		if err := s.Leg(media.B).SetRemote(netip.MustParseAddrPort(b)); err != nil {
			return err
		}
		fmt.Fprintln(out, s.Leg(media.A).Local(), s.Leg(media.B).Local())
	}
	if err := out.Flush(); err != nil {
		return err
	}
	in.Scan() // "go"
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0 := cpuTime()
	for in.Scan() {
	}
	cpu := cpuTime() - cpu0
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Fprintln(out, int64(cpu))
	fmt.Fprintln(out, summarize(sessions))
	return out.Flush()
}

func summarize(sessions []*media.Session) string {
	var in, out, lost, malformed, stray, unrouted, sendErrors uint64
	for _, s := range sessions {
		st := s.Stats()
		for _, l := range []media.LegStats{st.A, st.B} {
			in += l.PacketsIn
			out += l.PacketsOut
			lost += l.Lost
			malformed += l.Malformed
			stray += l.Stray
			unrouted += l.Unrouted
			sendErrors += l.SendErrors
		}
	}
	return fmt.Sprintf("in %d out %d lost-by-seq %d malformed %d stray %d unrouted %d send-errors %d",
		in, out, lost, malformed, stray, unrouted, sendErrors)
}
