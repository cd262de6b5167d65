package calls

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard/switchboard/tests/harness"
)

// sippTimeout bounds one sipp run; it only stops a hung run.
const sippTimeout = 60 * time.Second

// sippBin is the sipp tool (Debian package sip-tester). Its absence fails
// the test, so that a machine without it cannot pass by skipping the call;
// SWITCHBOARD_SKIP_SIPP=1 skips instead, for a developer who knows.
func sippBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err == nil {
		return bin
	}
	if os.Getenv("SWITCHBOARD_SKIP_SIPP") == "1" {
		t.Skip("sipp is not installed and SWITCHBOARD_SKIP_SIPP=1")
	}
	t.Fatal("sipp is not installed (apt-get install sip-tester), or set SWITCHBOARD_SKIP_SIPP=1")
	return ""
}

// scenario is the path of one of the sipp scenarios of mediafleet/calls;
// this test plays the same phones against the whole stack.
func scenario(t *testing.T, name string) string {
	t.Helper()
	if filepath.IsAbs(name) {
		return name
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "mediafleet", "calls", "testdata", "sipp", name)
}

// sipp prepares a sipp run of scenario name in dir; trace is the prefix of
// its error and message files there.
func sipp(ctx context.Context, t *testing.T, dir, name, trace string, args ...string) *exec.Cmd {
	t.Helper()
	all := append([]string{"-sf", scenario(t, name), "-i", "127.0.0.1", "-m", "1", "-nostdin",
		"-timeout", "40s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, trace+".errors"),
		"-trace_msg", "-message_file", filepath.Join(dir, trace+".messages")}, args...)
	cmd := exec.CommandContext(ctx, sippBin(t), all...)
	cmd.Dir = dir // sipp writes its own files next to where it runs
	return cmd
}

// sippFailed reports a failed run with what sipp left behind.
func sippFailed(t *testing.T, dir, trace string, out []byte, err error) {
	t.Helper()
	t.Errorf("sipp %s: %v\n%s", trace, err, out)
	sippLogs(t, dir, trace)
}

// sippLogs logs sipp's error and message files of a run.
func sippLogs(t *testing.T, dir, trace string) {
	t.Helper()
	for _, ext := range []string{".errors", ".messages"} {
		if b, err := os.ReadFile(filepath.Join(dir, trace+ext)); err == nil && len(b) < 30000 {
			t.Logf("%s%s:\n%s", trace, ext, b)
		}
	}
}

// freeUDPPort finds a free UDP port on loopback for sipp to bind.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
