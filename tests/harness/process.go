package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"
)

type lockedWriter struct{ s *Stack }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// scan keeps the log and reports the addresses of the ready line.
func (s *Stack) scan(r io.Reader, start time.Time, ready chan<- map[string]string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.log.WriteString(line + "\n")
		s.mu.Unlock()
		if !sent && strings.Contains(line, `msg="switchboard ready"`) {
			s.Ready = time.Since(start)
			ready <- ParseLogLine(line)
			sent = true
		}
	}
	close(ready)
}

// WaitReady waits for the ready line and fills in the addresses.
func (s *Stack) WaitReady() error {
	select {
	case kv, ok := <-s.readyCh:
		if !ok {
			<-s.exited
			return fmt.Errorf("local stack exited before it was ready: %v", s.err)
		}
		s.HTTP, s.SIPUDP, s.SIPTCP, s.STUN = kv["http"], kv["sip_udp"], kv["sip_tcp"], kv["stun"]
		return nil
	case <-time.After(ReadyTimeout):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("local stack not ready after %s", ReadyTimeout)
	}
}

// Stop sends SIGTERM, waits (killing it after 10 s) and returns the exit
// code.
func (s *Stack) Stop() int {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return -1
	}
	return s.ExitCode()
}

// Wait waits for the process to exit by itself and returns its exit code.
func (s *Stack) Wait(timeout time.Duration) (int, error) {
	select {
	case <-s.exited:
		return s.ExitCode(), nil
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return -1, errors.New("local stack did not exit")
	}
}

// ExitCode is the exit code of an exited process.
func (s *Stack) ExitCode() int {
	if s.cmd.ProcessState == nil {
		return -1
	}
	return s.cmd.ProcessState.ExitCode()
}

// ParseLogLine reads the key=value pairs of a log/slog text line.
func ParseLogLine(line string) map[string]string {
	kv := map[string]string{}
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			break
		}
		key := line[:eq]
		line = line[eq+1:]
		var val string
		if strings.HasPrefix(line, `"`) {
			end := 1
			for end < len(line) && (line[end] != '"' || line[end-1] == '\\') {
				end++
			}
			val = strings.ReplaceAll(line[1:min(end, len(line))], `\"`, `"`)
			line = line[min(end+1, len(line)):]
		} else {
			sp := strings.IndexByte(line, ' ')
			if sp < 0 {
				sp = len(line)
			}
			val, line = line[:sp], line[sp:]
		}
		kv[key] = val
	}
	return kv
}
