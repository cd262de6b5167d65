package softphone

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// baresipBin is the baresip softphone (Debian package baresip). Its
// absence fails the test, so that a machine without it cannot pass by
// skipping the call; SWITCHBOARD_SKIP_SIPP=1 skips instead, as it does
// for the sipp tests.
func baresipBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err == nil {
		return bin
	}
	if os.Getenv("SWITCHBOARD_SKIP_SIPP") == "1" {
		t.Skip("baresip is not installed and SWITCHBOARD_SKIP_SIPP=1")
	}
	t.Fatal("baresip is not installed (apt-get install baresip), or set SWITCHBOARD_SKIP_SIPP=1")
	return ""
}

// moduleDir finds the folder of baresip's modules; distributions put it
// under lib or under the architecture's lib folder.
func moduleDir(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules"}
	more, _ := filepath.Glob("/usr/lib/*/baresip/modules")
	for _, dir := range append(candidates, more...) {
		if _, err := os.Stat(filepath.Join(dir, "ctrl_tcp.so")); err == nil {
			return dir
		}
	}
	t.Fatal("baresip's modules (ctrl_tcp.so) not found under /usr/lib")
	return ""
}

// account is what a phone needs to register: its address of record, the
// digest credentials and the proxy every request goes to.
type account struct {
	AOR, AuthUser, Password, Proxy string
}

// phone is one running baresip: its SIP listens on a free loopback port,
// it plays a tone file as its microphone and has no loudspeaker, and the
// test drives it through ctrl_tcp (JSON in netstrings), which also reports
// its events.
type phone struct {
	name    string
	cmd     *exec.Cmd
	out     *lockedBuffer
	conn    net.Conn
	events  chan ctrlMessage
	replies chan ctrlMessage
	exited  chan struct{}
	token   int
	once    sync.Once
}

// ctrlMessage is a response or an event of ctrl_tcp.
type ctrlMessage struct {
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
	Event    bool   `json:"event"`
	Class    string `json:"class"`
	Type     string `json:"type"`
	Param    string `json:"param"`
	PeerURI  string `json:"peeruri"`
}

// startPhone writes the phone's configuration into a fresh folder, starts
// baresip and connects to its command port. The process is stopped when
// the test ends; its output is logged only when the test failed.
func startPhone(t *testing.T, name string, acc account, tone string) *phone {
	t.Helper()
	bin := baresipBin(t)
	dir := t.TempDir()
	sipPort, ctrlPort := freePort(t), freePort(t)
	config := strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(sipPort),
		"call_local_timeout 30",
		"call_max_calls 2",
		// The tone file is the microphone; no player module is loaded,
		// so received audio is decoded and dropped: no sound card.
		"audio_source aufile," + tone,
		"rtp_stats yes",
		"module_path " + moduleDir(t),
		"module g711.so",
		"module aufile.so",
		"module_app account.so",
		"module_app menu.so",
		"module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + strconv.Itoa(ctrlPort),
		"",
	}, "\n")
	accounts := fmt.Sprintf("<%s>;auth_user=%s;auth_pass=%s;outbound=\"%s\";regint=60;answermode=auto;audio_codecs=PCMA,PCMU\n",
		acc.AOR, acc.AuthUser, acc.Password, acc.Proxy)
	for file, content := range map[string]string{"config": config, "accounts": accounts, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	p := &phone{name: name, out: &lockedBuffer{}, events: make(chan ctrlMessage, 64), replies: make(chan ctrlMessage, 8),
		exited: make(chan struct{})}
	// -n pins the address baresip writes into its Contact and SDP to
	// loopback; -s traces its SIP messages into the output, which the
	// test shows only when it failed.
	p.cmd = exec.Command(bin, "-f", dir, "-n", "127.0.0.1", "-4", "-s")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Dir = dir
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start baresip %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- baresip %s ---\n%s", name, p.out.String())
		}
	})

	// baresip opens its command port once its modules are loaded.
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ctrlPort))
	for deadline := time.Now().Add(startWait); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			p.conn = c
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("baresip %s exited at start", name)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip %s: no command port %s after %s: %v", name, addr, startWait, err)
		}
	}
	go p.read()
	return p
}

// read sorts ctrl_tcp's netstrings into replies and events until the
// connection closes.
func (p *phone) read() {
	defer close(p.events)
	r := bufio.NewReader(p.conn)
	for {
		msg, err := readNetstring(r)
		if err != nil {
			return
		}
		var m ctrlMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			continue
		}
		switch {
		case m.Response:
			select {
			case p.replies <- m:
			default:
			}
		case m.Event:
			select {
			case p.events <- m:
			default: // the test reads events as they come; drop a flood
			}
		}
	}
}

// command sends one command and waits for its response.
func (p *phone) command(t *testing.T, command, params string) string {
	t.Helper()
	p.token++
	token := strconv.Itoa(p.token)
	body, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": token})
	if _, err := fmt.Fprintf(p.conn, "%d:%s,", len(body), body); err != nil {
		t.Fatalf("baresip %s: send %s: %v", p.name, command, err)
	}
	timeout := time.After(commandWait)
	for {
		select {
		case m := <-p.replies:
			if m.Token != token {
				continue
			}
			if !m.OK {
				t.Fatalf("baresip %s: %s %s failed: %s", p.name, command, params, m.Data)
			}
			return m.Data
		case <-timeout:
			t.Fatalf("baresip %s: no response to %s after %s", p.name, command, commandWait)
		}
	}
}

// waitEvent waits for an event of type typ, skipping others.
func (p *phone) waitEvent(t *testing.T, typ string, wait time.Duration) ctrlMessage {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case m, ok := <-p.events:
			if !ok {
				t.Fatalf("baresip %s: command connection closed while waiting for %s", p.name, typ)
			}
			if m.Type == typ {
				return m
			}
			if m.Type == "CALL_CLOSED" || m.Type == "REGISTER_FAIL" {
				t.Fatalf("baresip %s: %s (%s) while waiting for %s", p.name, m.Type, m.Param, typ)
			}
		case <-timeout:
			t.Fatalf("baresip %s: no %s after %s", p.name, typ, wait)
		}
	}
}

// stop ends baresip: SIGTERM, on which it unregisters, then SIGKILL if
// it lingers. Later calls do nothing.
func (p *phone) stop() {
	p.once.Do(func() {
		if p.conn != nil {
			_ = p.conn.Close()
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// readNetstring reads one "<length>:<data>," frame.
func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[:len(head)-1]))
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("netstring length %q", head)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if buf[n] != ',' {
		return nil, errors.New("netstring without its comma")
	}
	return buf[:n], nil
}

// freePort finds a loopback port free for both UDP and TCP (baresip
// listens for SIP on both).
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return 0
}

// toneWAV writes seconds of a 440 Hz tone as 8 kHz mono 16-bit WAV, the
// format G.711 encodes without resampling.
func toneWAV(t *testing.T, dir string, seconds int) string {
	t.Helper()
	const rate = 8000
	n := rate * seconds
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, struct {
		Size                 uint32
		Format, Channels     uint16
		Rate, ByteRate       uint32
		Align, BitsPerSample uint16
	}{16, 1, 1, rate, 2 * rate, 2, 16})
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(2*n))
	for i := range n {
		_ = binary.Write(&b, binary.LittleEndian, int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	path := filepath.Join(dir, "tone.wav")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lockedBuffer keeps a process's output for the failure log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
