package node

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// sippTimeout bounds one sipp run. The scenario is two round trips on
// loopback; the bound only stops a hung run.
const sippTimeout = 60 * time.Second

// TestSippOptions runs the real sipp tool (Debian package sip-tester)
// against the node over UDP and TCP with testdata/options.xml. It is
// skipped only where sipp is not installed; CI installs it.
func TestSippOptions(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed (apt-get install sip-tester)")
	}
	scenario, err := filepath.Abs(filepath.Join("testdata", "options.xml"))
	if err != nil {
		t.Fatal(err)
	}
	n := start(t)
	tests := []struct {
		name      string
		transport string // sipp's -t
		addr      string
	}{
		{name: "UDP", transport: "u1", addr: n.UDPAddr().String()},
		{name: "TCP", transport: "t1", addr: n.TCPAddr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), sippTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp,
				"-sf", scenario,
				"-t", tt.transport,
				"-i", "127.0.0.1",
				"-m", "1", // one call: the two transactions of the scenario
				"-nostdin",
				"-timeout", "30s", "-timeout_error",
				"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
				"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"),
				tt.addr,
			)
			cmd.Dir = dir // sipp writes its own files next to where it runs
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("sipp over %s failed: %v", tt.name, err)
				logFile(t, filepath.Join(dir, "errors.log"))
				logFile(t, filepath.Join(dir, "messages.log"))
				t.Logf("sipp output:\n%s", out)
			}
		})
	}
}

func logFile(t *testing.T, path string) {
	t.Helper()
	if b, err := os.ReadFile(path); err == nil {
		t.Logf("%s:\n%s", filepath.Base(path), b)
	}
}
