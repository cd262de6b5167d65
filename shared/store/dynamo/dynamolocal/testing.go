package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"
)

// SkipEnv names the variable that, set to 1, skips the tests that need
// DynamoDB Local instead of failing them. Nothing else skips them.
const SkipEnv = "SWITCHBOARD_SKIP_DYNAMODB"

// Main starts one DynamoDB Local for a test binary, runs its tests, stops
// the server and returns the exit code:
//
//	var local *dynamolocal.Server
//
//	func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &local)) }
//
// When the server cannot start, Main prints why (and how to install it)
// and fails the binary without running the tests, unless SkipEnv=1: then
// the tests run with *srv nil and ForTest skips them.
func Main(m interface{ Run() int }, srv **Server) int {
	if os.Getenv(SkipEnv) == "1" {
		return m.Run()
	}
	s, err := Start(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: DynamoDB Local did not start: %v\n", err)
		if errors.Is(err, errMissing) {
			fmt.Fprintln(os.Stderr, install)
		}
		return 1
	}
	defer s.Close()
	*srv = s
	return m.Run()
}

// ForTest returns the server Main started. It skips t when SkipEnv=1 left
// no server and fails t when Main was not used.
func ForTest(t testing.TB, srv *Server) *Server {
	t.Helper()
	if srv != nil {
		return srv
	}
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("DynamoDB Local skipped (%s=1)", SkipEnv)
	}
	t.Fatal("DynamoDB Local is not running: start it in TestMain with dynamolocal.Main")
	return nil
}

// TableName returns a table name unique to this test and this run, so
// tests sharing one server never see each other's items.
func TableName(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("table name: %v", err)
	}
	name := strings.Map(func(r rune) rune {
		if r < 128 && (r == '_' || r == '.' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	return name + "-" + hex.EncodeToString(b[:])
}
