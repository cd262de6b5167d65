// Package harness starts the local stack for end-to-end tests: it builds
// infra/local once per test binary, runs it on free loopback ports with a
// temporary data folder, waits until it reports ready, and stops it with
// SIGTERM when the test ends. Later end-to-end tests (sipp, baresip,
// Chromium, HTTP clients) share it.
package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ReadyTimeout bounds how long Start waits for the stack.
const ReadyTimeout = 30 * time.Second

// Stack is one running local stack.
type Stack struct {
	HTTP   string // host:port of the API
	SIPUDP string
	SIPTCP string
	STUN   string
	Data   string        // its data folder
	Ready  time.Duration // from process start to the ready line

	cmd     *exec.Cmd
	mu      sync.Mutex
	log     bytes.Buffer
	exited  chan struct{}
	err     error
	readyCh <-chan map[string]string
}

// URL returns the API URL of path.
func (s *Stack) URL(path string) string { return "http://" + s.HTTP + path }

// Log returns what the stack has logged so far.
func (s *Stack) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds infra/local once and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "switchboard-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "switchboard-local")
		cmd := exec.Command("go", "build", "-o", binary, "./infra/local")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build infra/local: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// ModuleRoot finds the repository root (the folder with go.mod).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Options change how a stack starts.
type Options struct {
	Data string   // data folder; a fresh temporary one when empty
	Args []string // extra flags
}

// Start runs a stack on free loopback ports and waits until it is ready.
// The stack is stopped when the test ends.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	s, err := Launch(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(); err != nil {
		t.Fatalf("%v\n--- stack log ---\n%s", err, s.Log())
	}
	t.Cleanup(func() {
		if code := s.Stop(); code != 0 {
			t.Errorf("local stack exited with %d\n--- stack log ---\n%s", code, s.Log())
		}
	})
	return s
}

// Launch starts the process without waiting for it; for tests of start-up
// failures. The caller stops it (Stop) or waits for its exit (Wait).
func Launch(t testing.TB, opts Options) (*Stack, error) {
	t.Helper()
	bin := Binary(t)
	if opts.Data == "" {
		opts.Data = t.TempDir()
	}
	args := append([]string{
		"-data", opts.Data, "-http", "127.0.0.1:0", "-sip-udp", "127.0.0.1:0", "-sip-tcp", "127.0.0.1:0",
		"-stun", "127.0.0.1:0", "-log-format", "text",
	}, opts.Args...)
	s := &Stack{Data: opts.Data, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = cleanEnv()
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout = &lockedWriter{s: s}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan map[string]string, 1)
	go s.scan(stderr, start, ready)
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	s.readyCh = ready
	return s, nil
}

// cleanEnv drops SWITCHBOARD_ settings of the developer's shell, so that
// the flags decide.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			env = append(env, kv)
		}
	}
	return env
}
