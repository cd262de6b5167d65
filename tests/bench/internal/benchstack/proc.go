// Package benchstack holds what the figure scripts under tests/bench
// share: starting the local stack and other processes they measure, the
// processor time those use, the kernel's count of dropped datagrams, the
// machine's load, sipp's statistics file, and the devices they make over
// the HTTP API. It is for those scripts only; tests use tests/harness.
package benchstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/tests/harness"
)

// SIPDomain is the local stack's SIP domain and digest realm (its
// default), used by every script.
const SIPDomain = "switchboard.local"

// Proc is a process a script started, in a process group of its own.
type Proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartProc starts cmd in a process group of its own.
func StartProc(cmd *exec.Cmd) (*Proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// CPU returns the processor time (user and system) the process and the
// others of its process group have used so far, from /proc.
func (p *Proc) CPU() time.Duration {
	pgid := strconv.Itoa(p.cmd.Process.Pid)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses:
		// state ppid pgrp … utime (14th field) stime (15th).
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 || f[2] != pgid {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of times in /proc/PID/stat: 100 on
// Linux on every architecture Go supports.
const clockTicks = 100

// Stop ends the process and its children (its own process group): SIGTERM,
// then SIGKILL after 10 s.
func (p *Proc) Stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
	time.Sleep(200 * time.Millisecond)
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // children left behind, if any
}

// Interrupt sends the process SIGINT and waits up to 10 s for it to exit
// (perf writes its data then), then stops it.
func (p *Proc) Interrupt() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
	p.Stop()
}

// Perf starts Linux perf recording target's processor samples with call
// graphs into out, until Interrupt. perf reads Go's symbols and frame
// pointers, so a binary the script does not own (no pprof endpoint) can
// be profiled while it serves.
func Perf(target *Proc, out string) (*Proc, error) {
	bin, err := exec.LookPath("perf")
	if err != nil {
		return nil, errors.New("perf is not installed (apt-get install linux-perf)")
	}
	cmd := exec.Command(bin, "record", "-F", "999", "-g", "-p", strconv.Itoa(target.cmd.Process.Pid), "-o", out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return StartProc(cmd)
}

// Switchboard is the local stack (infra/local) under load.
type Switchboard struct {
	*Proc
	URL, SIPUDP string
}

// StartSwitchboard builds infra/local into dir and runs it on free
// loopback ports with its data in dir, SIP over UDP only and no STUN,
// info logging, and generous sign-up and login limits. Its warnings and
// errors (the first 20) are copied to stderr.
func StartSwitchboard(ctx context.Context, root, dir string) (*Switchboard, error) {
	bin := filepath.Join(dir, "switchboard-local")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./infra/local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build infra/local: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-data", filepath.Join(dir, "data"), "-http", "127.0.0.1:0", "-sip-udp", "127.0.0.1:0",
		"-sip-tcp", "off", "-stun", "off", "-sip-domain", SIPDomain, "-log-format", "text", "-log-level", "info",
		"-signup-limit", "1000", "-login-limit", "1000")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p, err := StartProc(cmd)
	if err != nil {
		return nil, err
	}
	ready := make(chan map[string]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		sent := false
		shown := 0
		for sc.Scan() {
			line := sc.Text()
			switch {
			case !sent && strings.Contains(line, `msg="switchboard ready"`):
				ready <- harness.ParseLogLine(line)
				sent = true
			case (strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN")) && shown < 20:
				shown++
				fmt.Fprintln(os.Stderr, "switchboard:", line)
			}
		}
	}()
	select {
	case kv := <-ready:
		if kv["http"] == "" || kv["sip_udp"] == "" {
			p.Stop()
			return nil, fmt.Errorf("ready line without addresses: %v", kv)
		}
		return &Switchboard{Proc: p, URL: "http://" + kv["http"], SIPUDP: kv["sip_udp"]}, nil
	case <-p.exited:
		return nil, errors.New("exited before it was ready")
	case <-time.After(harness.ReadyTimeout):
	case <-ctx.Done():
	}
	p.Stop()
	return nil, errors.New("not ready in time")
}

// FreeUDP returns a free UDP port on 127.0.0.1.
func FreeUDP() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// UDPDrops reads the kernel's count of UDP datagrams dropped because a
// receive buffer was full (RcvbufErrors in /proc/net/snmp), on any socket.
func UDPDrops() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// SocketDrops reads the datagrams the kernel dropped for a full receive
// buffer on the IPv4 UDP sockets bound to port (/proc/net/udp).
func SocketDrops(port int) int64 {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0
	}
	want := fmt.Sprintf(":%04X", port)
	var n int64
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 || !strings.HasSuffix(f[1], want) {
			continue
		}
		v, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		n += v
	}
	return n
}

// LoadAverage is the content of /proc/loadavg: other work on the machine
// skews the figures.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// Tail returns the last n bytes of b as text.
func Tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
