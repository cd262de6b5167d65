package registrar

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// sippTimeout bounds one sipp run; it only stops a hung run.
const sippTimeout = 90 * time.Second

// testdata/devices.csv is sipp's injection file: one line per device
// of the phones testPhone(0..49) that newEnv writes into the store:
// "device id;SIP domain;[authentication …right password];[authentication
// …wrong password]". sipp expands no field inside its authentication
// keyword, so the file carries the keyword whole.
const sippDevices = 50

// sipp runs the real sipp tool (Debian package sip-tester) with a
// scenario of testdata against addr and reports whether every call
// succeeded. It skips the test where sipp is not installed; CI installs it.
func sipp(t *testing.T, scenario, transport, addr string, calls int) bool {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed (apt-get install sip-tester)")
	}
	sf, err := filepath.Abs(filepath.Join("testdata", scenario))
	if err != nil {
		t.Fatal(err)
	}
	inf, err := filepath.Abs(filepath.Join("testdata", "devices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), sippTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", sf, "-inf", inf,
		"-t", transport,
		"-i", "127.0.0.1",
		"-m", fmt.Sprint(calls),
		"-r", "100", "-l", "20",
		"-nostdin",
		"-timeout", "60s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"),
		addr,
	)
	cmd.Dir = dir // sipp writes its own files next to where it runs
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("sipp %s over %s: %v", scenario, transport, err)
		if b, rerr := os.ReadFile(filepath.Join(dir, "errors.log")); rerr == nil {
			t.Logf("errors.log:\n%s", b)
		}
		if b, rerr := os.ReadFile(filepath.Join(dir, "messages.log")); rerr == nil && len(b) < 20000 {
			t.Logf("messages.log:\n%s", b)
		}
		t.Logf("sipp output:\n%s", out)
		return false
	}
	return true
}

func TestSippDevicesFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "devices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != sippDevices+1 || lines[0] != "SEQUENTIAL" {
		t.Fatalf("devices.csv: %d lines, first %q", len(lines), lines[0])
	}
	for i, line := range lines[1:] {
		p := testPhone(i)
		want := fmt.Sprintf("%s;%s;[authentication username=%[1]s password=%[3]s];[authentication username=%[1]s password=not-%[3]s]",
			p.id, testRealm, p.password)
		if line != want {
			t.Errorf("line %d = %q, want %q", i+2, line, want)
		}
	}
}

// TestSippRegister registers every device of the injection file with
// sipp, over UDP and over TCP; each must get its binding.
func TestSippRegister(t *testing.T) {
	e := newEnv(t, sippDevices, nil)
	for _, tt := range []struct{ name, transport string }{{"UDP", "u1"}, {"TCP", "t1"}} {
		t.Run(tt.name, func(t *testing.T) {
			if !sipp(t, "register.xml", tt.transport, e.addr(strings.ToLower(tt.name)), sippDevices) {
				t.Fatal("sipp: not every REGISTER succeeded")
			}
			for i := range sippDevices {
				id := testPhone(i).id
				bs := e.reg.Bindings(id)
				if len(bs) == 0 || bs[len(bs)-1].Transport != strings.ToLower(tt.name) {
					t.Errorf("%s: bindings %+v", id, bs)
				}
				if items := e.bindingItems(id); len(items) == 0 {
					t.Errorf("%s: no binding item", id)
				}
			}
		})
	}
}

// TestSippWrongPassword answers challenges with a wrong password until
// the source address is blocked; then even the right password is refused.
func TestSippWrongPassword(t *testing.T) {
	e := newEnv(t, sippDevices, func(c *Config) { c.SourceFailureLimit = DefaultFailureLimit })
	// Every call must be refused (401, then 403 once blocked): sipp's
	// scenario fails on anything else, a 200 included.
	if !sipp(t, "register-wrong.xml", "u1", e.addr("udp"), DefaultFailureLimit+2) {
		t.Fatal("sipp: a REGISTER with a wrong password was not refused")
	}
	if bs := e.reg.Bindings(testPhone(0).id); len(bs) != 0 {
		t.Errorf("bindings after wrong passwords: %+v", bs)
	}
	d := e.dialog(newClient(t), testPhone(DefaultFailureLimit+5), "udp")
	if res := d.register("MD5", []string{contactA}); res.StatusCode != sip.StatusForbidden {
		t.Errorf("right password from the blocked address: %d, want 403", res.StatusCode)
	}
}
