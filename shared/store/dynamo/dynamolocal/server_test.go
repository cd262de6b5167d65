package dynamolocal

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestStartClose(t *testing.T) {
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("DynamoDB Local skipped (%s=1)", SkipEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	srv, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DynamoDB Local answered on %s after %v", srv.Endpoint, time.Since(began).Round(time.Millisecond))
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %s is not on loopback", srv.Endpoint)
	}
	db, _ := srv.Clients()
	if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	srv.Close()
	srv.Close() // a second Close is harmless
	select {
	case <-srv.exited:
	default:
		t.Fatal("process still running after Close")
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.Endpoint, "http://"), time.Second); err == nil {
		c.Close()
		t.Fatal("port still answers after Close")
	}
}

func TestMissingPackage(t *testing.T) {
	t.Setenv(PackageEnv, t.TempDir())
	_, err := Start(context.Background())
	if !errors.Is(err, errMissing) {
		t.Fatalf("want errMissing, got %v", err)
	}
	if !strings.Contains(install, "npm ci") || !strings.Contains(install, SkipEnv) {
		t.Fatalf("advice does not say how to install or skip: %s", install)
	}
}

// fakeM stands in for testing.M.
type fakeM struct{ ran bool }

func (m *fakeM) Run() int { m.ran = true; return 0 }

func TestMainWithoutPackage(t *testing.T) {
	t.Setenv(PackageEnv, t.TempDir())
	tests := []struct {
		skip     string
		wantCode int
		wantRun  bool
	}{
		{"", 1, false},
		{"0", 1, false},
		{"1", 0, true},
	}
	for _, tc := range tests {
		t.Setenv(SkipEnv, tc.skip)
		var m fakeM
		var srv *Server
		if code := Main(&m, &srv); code != tc.wantCode || m.ran != tc.wantRun || srv != nil {
			t.Errorf("%s=%q: code %d, ran %v, server %v", SkipEnv, tc.skip, code, m.ran, srv)
		}
	}
}

func TestTableName(t *testing.T) {
	a, b := TableName(t), TableName(t)
	if a == b {
		t.Fatalf("two calls gave %s", a)
	}
	t.Run("sub test/with spaces & ümlauts", func(t *testing.T) {
		name := TableName(t)
		for _, r := range name {
			if !(r == '_' || r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				t.Fatalf("table name %q has %q", name, r)
			}
		}
	})
}
