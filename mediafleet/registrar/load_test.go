package registrar

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSippLoad drives the node and the registrar with sipp's REGISTER
// dialogs at a fixed rate, so that the real path (socket, sipgo's parser,
// the node, the registrar) can be profiled under load:
//
//	SWITCHBOARD_REGISTER_LOAD=12000 go test -run TestSippLoad -count 1 \
//	    -cpuprofile cpu.out -memprofile mem.out ./mediafleet/registrar
//
// It runs only when SWITCHBOARD_REGISTER_LOAD names the rate (REGISTER
// dialogs per second) and prints figures; it asserts nothing about them.
// SWITCHBOARD_REGISTER_LOAD_SECONDS sets the duration (default 10).
func TestSippLoad(t *testing.T) {
	rate, _ := strconv.Atoi(os.Getenv("SWITCHBOARD_REGISTER_LOAD"))
	if rate <= 0 {
		t.Skip("set SWITCHBOARD_REGISTER_LOAD to a rate to run")
	}
	secs, _ := strconv.Atoi(os.Getenv("SWITCHBOARD_REGISTER_LOAD_SECONDS"))
	if secs <= 0 {
		secs = 10
	}
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed (apt-get install sip-tester)")
	}
	// Info level, as a node runs; debug lines would dominate the profile.
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := newEnvLog(t, sippDevices, nil, log)
	sf, _ := filepath.Abs(filepath.Join("testdata", "register.xml"))
	inf, _ := filepath.Abs(filepath.Join("testdata", "devices.csv"))
	dir := t.TempDir()
	calls := rate * secs
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second+60*time.Second)
	defer cancel()
	stat := filepath.Join(dir, "stat.csv")
	cmd := exec.CommandContext(ctx, bin, "-sf", sf, "-inf", inf, "-t", "u1", "-i", "127.0.0.1",
		"-r", strconv.Itoa(rate), "-rp", "1000", "-m", strconv.Itoa(calls), "-l", strconv.Itoa(max(2*rate, 50)),
		"-recv_timeout", "5000", "-timeout", fmt.Sprintf("%ds", secs+50), "-timeout_error", "-nostdin",
		"-trace_stat", "-stf", stat, "-fd", "1", e.addr("udp"))
	cmd.Dir = dir
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b, rerr := os.ReadFile(stat)
	if rerr != nil {
		t.Fatalf("sipp: %v %v\n%s", err, rerr, out)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	hdr, last := strings.Split(lines[0], ";"), strings.Split(lines[len(lines)-1], ";")
	field := func(name string) string {
		for i, h := range hdr {
			if h == name && i < len(last) {
				return last[i]
			}
		}
		return "?"
	}
	t.Logf("rate %d/s for %ds: successful %s, failed %s, retransmissions %s, in %s; CPU %s (%.1f µs per dialog)",
		rate, secs, field("SuccessfulCall(C)"), field("FailedCall(C)"), field("Retransmissions(C)"), elapsed.Round(time.Millisecond),
		cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(calls))
	for i, h := range hdr {
		if strings.HasPrefix(h, "Failed") && strings.HasSuffix(h, "(C)") && i < len(last) && last[i] != "0" {
			t.Logf("%s %s", h, last[i])
		}
	}
}
