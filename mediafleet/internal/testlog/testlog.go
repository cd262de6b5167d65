// Package testlog gives fleet tests a *slog.Logger whose output is shown
// only when the test fails.
//
// Servers under test often log from goroutines that outlive the test
// function by a moment (a connection reader noticing its socket closed).
// Writing those lines through testing.T would panic, and writing them to
// stderr would bury the output of passing tests, so the logger buffers
// every line and the test prints the buffer in its cleanup if it failed.
// It is for tests only.
package testlog

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// New returns a debug-level text logger for t.
func New(t testing.TB) *slog.Logger {
	t.Helper()
	w := &buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			w.mu.Lock()
			t.Logf("server log:\n%s", w.buf.String())
			w.mu.Unlock()
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// buffer is a goroutine-safe bytes.Buffer that keeps at most limit bytes,
// so a long fuzz or benchmark run does not hold its whole log in memory.
type buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const limit = 1 << 20

func (w *buffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len()+len(p) <= limit {
		w.buf.Write(p)
	}
	return len(p), nil
}
