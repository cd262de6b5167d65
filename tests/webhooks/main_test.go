package webhooks

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the tests leave no goroutine behind: every sipp
// process, socket and server a test starts is stopped when it ends.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
