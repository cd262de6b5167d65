package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/tests/harness"
)

// sippTimeout bounds one sipp run; it only stops a hung run.
const sippTimeout = 45 * time.Second

// sippBin is the sipp tool (Debian package sip-tester). Its absence fails
// the test, so that a machine without it cannot pass by skipping the
// calls; SWITCHBOARD_SKIP_SIPP=1 skips instead, as in tests/calls.
func sippBin(t testing.TB) string {
	t.Helper()
	if os.Getenv("SWITCHBOARD_SKIP_SIPP") == "1" {
		t.Skip("SWITCHBOARD_SKIP_SIPP=1")
	}
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatal("sipp is not installed (apt-get install sip-tester), or set SWITCHBOARD_SKIP_SIPP=1")
	}
	return bin
}

// scenario is the path of a sipp scenario: this package's own (the trunk
// and phones in the roles the webhook tests need), or the phones of
// mediafleet/calls (register.xml, uac.xml, uas.xml).
func scenario(t testing.TB, name string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join("testdata", "sipp", name)); err == nil {
		abs, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "mediafleet", "calls", "testdata", "sipp", name)
}

// sippRun is one sipp process of a test.
type sippRun struct {
	name string
	dir  string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// sipp prepares a sipp run of scenario name in dir; trace names its error
// and message files there. Every run plays one call unless args say
// otherwise (a later -m wins) and is bounded by sippTimeout.
func sipp(t testing.TB, dir, name, trace string, args ...string) *sippRun {
	t.Helper()
	all := append([]string{"-sf", scenario(t, name), "-i", "127.0.0.1", "-m", "1", "-nostdin",
		"-timeout", strconv.Itoa(int(sippTimeout/time.Second)) + "s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, trace+".errors"),
		"-trace_msg", "-message_file", filepath.Join(dir, trace+".messages")}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), sippTimeout+10*time.Second)
	t.Cleanup(cancel)
	r := &sippRun{name: trace, dir: dir, done: make(chan error, 1)}
	r.cmd = exec.CommandContext(ctx, sippBin(t), all...)
	r.cmd.Dir = dir // sipp writes its own files next to where it runs
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	return r
}

// start runs sipp in the background; wait collects it.
func (r *sippRun) start(t testing.TB) *sippRun {
	t.Helper()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
		}
	})
	return r
}

// wait waits for a started run and reports a failure with what sipp left
// behind; it returns whether sipp ended well.
func (r *sippRun) wait(t testing.TB) bool {
	t.Helper()
	if err := <-r.done; err != nil {
		t.Errorf("sipp %s: %v\n%s", r.name, err, r.out.Bytes())
		r.logs(t)
		return false
	}
	return true
}

// run runs sipp to its end.
func (r *sippRun) run(t testing.TB) bool {
	t.Helper()
	return r.start(t).wait(t)
}

// logs logs sipp's error and message files of a run.
func (r *sippRun) logs(t testing.TB) {
	t.Helper()
	for _, ext := range []string{".errors", ".messages"} {
		if b, err := os.ReadFile(filepath.Join(r.dir, r.name+ext)); err == nil {
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("%s%s:\n%s", r.name, ext, b)
		}
	}
}

// messages returns what sipp traced of the run's messages.
func (r *sippRun) messages(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, r.name+".messages"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// freeUDPPort finds a free UDP port on loopback for sipp to bind (see
// udpBlock).
func freeUDPPort(t testing.TB) int {
	t.Helper()
	c := udpBlock(t)
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// Blocks of four ports handed out by udpBlock in this test binary.
var (
	blocksMu sync.Mutex
	blocks   = map[int]bool{}
)

// udpBlock binds the first port of a block of four free UDP ports on
// loopback and returns it: sipp takes a media port's neighbours too (RTCP
// on the next, video on the one after), so the parallel tests' sipp runs
// get blocks no other run of this binary got. The blocks lie above the
// stacks' RTP relay range (20000–39999), whose ports come and go with
// calls meanwhile.
func udpBlock(t testing.TB) *net.UDPConn {
	t.Helper()
	blocksMu.Lock()
	defer blocksMu.Unlock()
	for range 1000 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		if p%4 != 0 || p < 40000 || blocks[p/4] || !free(p+1, p+2, p+3) {
			c.Close()
			continue
		}
		blocks[p/4] = true
		return c
	}
	t.Fatal("no block of four free UDP ports above 40000")
	return nil
}

// free reports whether UDP ports on loopback can be bound now.
func free(ports ...int) bool {
	for _, p := range ports {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

func writeFile(t testing.TB, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// csv writes sipp's injection file of one line of fields.
func csv(t testing.TB, dir, name string, fields ...any) string {
	t.Helper()
	line := ""
	for i, f := range fields {
		if i > 0 {
			line += ";"
		}
		line += fmt.Sprint(f)
	}
	return writeFile(t, dir, name, []byte("SEQUENTIAL\n"+line+"\n"))
}
