package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// Readiness and shutdown bounds.
const (
	readyTimeout = 30 * time.Second
	pollEvery    = 100 * time.Millisecond
	stopTimeout  = 10 * time.Second
	attempts     = 3 // a port taken between picking and binding it costs one attempt
)

// Region is the region clients of the server use; with -sharedDb any
// region sees the same tables.
const Region = "us-east-1"

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string // http://127.0.0.1:port

	cmd    *exec.Cmd
	out    *tail
	exited chan struct{} // closed when the process has ended
	once   sync.Once
}

// errExited says the process ended before it answered.
var errExited = errors.New("dynamolocal: DynamoDB Local exited")

// Start runs DynamoDB Local in memory on a free loopback port and returns
// once it answers requests (within about 30 s). ctx bounds the start only;
// the server runs until Close.
func Start(ctx context.Context) (*Server, error) {
	l, err := locate()
	if err != nil {
		return nil, err
	}
	for i := 1; ; i++ {
		srv, err := launch(ctx, l)
		if err == nil || !errors.Is(err, errExited) || i == attempts {
			return srv, err
		}
	}
}

func launch(ctx context.Context, l layout) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(l.java, "-Djava.library.path="+l.libs, "-jar", l.jar,
		"-inMemory", "-sharedDb", "-port", strconv.Itoa(port), "-disableTelemetry")
	cmd.Dir = filepath.Dir(l.jar)
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = stopTimeout
	ownProcessGroup(cmd)
	s := &Server{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:      cmd,
		out:      out,
		exited:   make(chan struct{}),
	}
	if err := s.run(); err != nil {
		return nil, fmt.Errorf("dynamolocal: start %s: %w", l.java, err)
	}
	if err := s.waitReady(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// run starts the process from a goroutine that keeps its OS thread until
// the process ends: on Linux the child is asked to die with the thread
// that started it (so it dies with the test binary, even when a test
// timeout ends the binary before Close runs), and Go must not retire that
// thread early.
func (s *Server) run() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The goroutine ends with the thread still locked, which ends the
		// thread too; by then the child is gone.
		if err := s.cmd.Start(); err != nil {
			started <- err
			close(s.exited)
			return
		}
		started <- nil
		_ = s.cmd.Wait() // the exit status of a killed server says nothing
		close(s.exited)
	}()
	return <-started
}

// waitReady polls the server with ListTables until it answers.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, _ := s.Clients()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		try, done := context.WithTimeout(ctx, time.Second)
		_, err := db.ListTables(try, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) {
			o.Retryer = aws.NopRetryer{}
		})
		done()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w before answering on %s:\n%s", errExited, s.Endpoint, s.out)
		case <-ctx.Done():
			return fmt.Errorf("dynamolocal: no answer on %s: %w (last error: %v)\n%s", s.Endpoint, ctx.Err(), err, s.out)
		case <-tick.C:
		}
	}
}

// Clients returns a DynamoDB and a DynamoDB Streams client for the server,
// with dummy static credentials.
func (s *Server) Clients() (*dynamodb.Client, *dynamodbstreams.Client) {
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	db := dynamodb.New(dynamodb.Options{
		Region:       Region,
		Credentials:  creds,
		BaseEndpoint: aws.String(s.Endpoint),
	})
	streams := dynamodbstreams.New(dynamodbstreams.Options{
		Region:       Region,
		Credentials:  creds,
		BaseEndpoint: aws.String(s.Endpoint),
	})
	return db, streams
}

// Close kills the server and whatever it started and waits for it to end.
// It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		kill(s.cmd)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
		}
	})
}

// Output returns the last lines DynamoDB Local printed.
func (s *Server) Output() string { return s.out.String() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynamolocal: pick a port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last few kilobytes of the server's output for error
// messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 16 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
