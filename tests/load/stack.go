package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/tests/harness"
)

// stack is a local stack the load run started itself.
type stack struct {
	url    string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startStack builds infra/local and runs it like the test harness does:
// free loopback ports, a temporary data folder, and attempt limits of
// limit so that the run's sign-ups and logins are not refused.
func startStack(ctx context.Context, limit int) (*stack, error) {
	root, err := harness.ModuleRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-load-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, exited: make(chan struct{})}
	bin := filepath.Join(dir, "switchboard-local")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./infra/local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("build infra/local: %v\n%s", err, out)
	}
	l := strconv.Itoa(limit)
	s.cmd = exec.Command(bin, "-data", filepath.Join(dir, "data"), "-http", "127.0.0.1:0", "-sip-udp", "127.0.0.1:0",
		"-sip-tcp", "127.0.0.1:0", "-stun", "127.0.0.1:0", "-log-format", "text",
		"-signup-limit", l, "-login-limit", l)
	s.cmd.Env = cleanEnv()
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		s.cleanup()
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if !sent && strings.Contains(line, `msg="switchboard ready"`) {
				ready <- harness.ParseLogLine(line)["http"]
				sent = true
			} else if strings.Contains(line, "level=ERROR") {
				fmt.Fprintln(os.Stderr, "stack:", line)
			}
		}
	}()
	select {
	case addr := <-ready:
		s.url = "http://" + addr
		return s, nil
	case <-s.exited:
		s.cleanup()
		return nil, errors.New("the local stack exited before it was ready")
	case <-time.After(harness.ReadyTimeout):
	case <-ctx.Done():
	}
	s.stop()
	return nil, errors.New("the local stack did not get ready")
}

// stop ends the stack (SIGTERM, then SIGKILL after 10 s) and removes its
// folder.
func (s *stack) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cleanup()
}

func (s *stack) cleanup() { _ = os.RemoveAll(s.dir) }

// cleanEnv drops SWITCHBOARD_ settings of the shell, so the flags decide.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			env = append(env, kv)
		}
	}
	return env
}
