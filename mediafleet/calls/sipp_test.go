package calls

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard/switchboard/mediafleet/calls/callstest"
)

// sippTimeout bounds one sipp run; it only stops a hung run.
const sippTimeout = 60 * time.Second

// sippBin is the sipp tool (Debian package sip-tester); the test is
// skipped where it is not installed.
func sippBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed (apt-get install sip-tester)")
	}
	return bin
}

// sippRun starts sipp with a scenario of testdata/sipp in dir.
func sippRun(ctx context.Context, t *testing.T, dir, scenario string, args ...string) *exec.Cmd {
	t.Helper()
	sf, err := filepath.Abs(filepath.Join("testdata", "sipp", scenario))
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"-sf", sf, "-i", "127.0.0.1", "-m", "1", "-nostdin",
		"-timeout", "40s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, scenario+".errors"),
		"-trace_msg", "-message_file", filepath.Join(dir, scenario+".messages")}, args...)
	cmd := exec.CommandContext(ctx, sippBin(t), all...)
	cmd.Dir = dir // sipp writes its own files next to where it runs
	return cmd
}

// sippFailed logs what sipp left behind.
func sippFailed(t *testing.T, dir, scenario string, out []byte, err error) {
	t.Helper()
	t.Errorf("sipp %s: %v\n%s", scenario, err, out)
	for _, ext := range []string{".errors", ".messages"} {
		if b, rerr := os.ReadFile(filepath.Join(dir, scenario+ext)); rerr == nil && len(b) < 30000 {
			t.Logf("%s%s:\n%s", scenario, ext, b)
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

// TestSippCallWithMedia: a sipp UAS registers as w2's phone and answers;
// a sipp UAC as w0's phone dials 12, answers the 407, plays two seconds
// of PCMA from a pcap file and hangs up. The callee echoes the RTP
// (-rtp_echo). The call's record shows RTP reached the callee through the
// relay and came back.
func TestSippCallWithMedia(t *testing.T) {
	sippBin(t)
	e := newEnv(t, options{})
	dir := t.TempDir()
	node := e.node.UDPAddr().String()
	writeFile(t, dir, "callee.csv", fmt.Sprintf("SEQUENTIAL\n%s;%s;[authentication username=%[1]s password=%[3]s]\n",
		device(3), testRealm, password(3)))
	writeFile(t, dir, "caller.csv", fmt.Sprintf("SEQUENTIAL\n%s;12;%s;[authentication username=%[1]s password=%[3]s]\n",
		device(0), testRealm, password(0)))
	if err := os.WriteFile(filepath.Join(dir, "g711a.pcap"), callstest.PCMAPcap(100), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sippTimeout)
	defer cancel()

	calleePort := freeUDPPort(t)
	reg := sippRun(ctx, t, dir, "register.xml", "-inf", filepath.Join(dir, "callee.csv"), "-p", fmt.Sprint(calleePort), node)
	if out, err := reg.CombinedOutput(); err != nil {
		sippFailed(t, dir, "register.xml", out, err)
		return
	}
	uas := sippRun(ctx, t, dir, "uas.xml", "-p", fmt.Sprint(calleePort), "-mp", fmt.Sprint(freeUDPPort(t)&^1), "-rtp_echo")
	var uasOut bytes.Buffer
	uas.Stdout, uas.Stderr = &uasOut, &uasOut
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	uac := sippRun(ctx, t, dir, "uac.xml", "-inf", filepath.Join(dir, "caller.csv"), "-mp", fmt.Sprint(freeUDPPort(t)&^1), node)
	if out, err := uac.CombinedOutput(); err != nil {
		sippFailed(t, dir, "uac.xml", out, err)
	}
	if err := uas.Wait(); err != nil {
		sippFailed(t, dir, "uas.xml", uasOut.Bytes(), err)
	}
	e.callEvents()
	e.settle()
	recs := e.records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	m := recs[0].Media
	if m.CallerIn == 0 || m.CalleeOut == 0 || m.CalleeIn == 0 || m.CallerOut == 0 {
		t.Errorf("media %+v: RTP did not reach the callee and come back", m)
	}
	if recs[0].Cause != CauseCallerHangup || recs[0].AnsweredBy != device(3) {
		t.Errorf("record %+v", recs[0])
	}
	t.Logf("relay carried %+v", m)
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
