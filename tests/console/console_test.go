// Package console runs the web console's journeys in a real browser:
// Debian's Chromium driven by the npm package playwright-core, through
// node's test runner (journeys.test.mjs), against a local stack started on
// free loopback ports with a temporary data folder.
//
// The test fails when Chromium, node or playwright-core is missing (bash
// tests/run installs them); SWITCHBOARD_SKIP_BROWSER=1 skips it instead.
package console

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard/switchboard/tests/harness"
)

// journeyTimeout bounds the whole browser run; the journeys take well
// under a minute and a half.
const journeyTimeout = 4 * time.Minute

func TestJourneys(t *testing.T) {
	if os.Getenv("SWITCHBOARD_SKIP_BROWSER") == "1" {
		t.Skip("SWITCHBOARD_SKIP_BROWSER=1")
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	chromium := os.Getenv("SWITCHBOARD_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s: install Debian's chromium package (bash tests/run does), or set SWITCHBOARD_SKIP_BROWSER=1: %v", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("no node to run the journeys (bash tests/run installs it), or set SWITCHBOARD_SKIP_BROWSER=1: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is not installed: run npm ci at the repository root (bash tests/run does), or set SWITCHBOARD_SKIP_BROWSER=1: %v", err)
	}

	stack := harness.Start(t, harness.Options{})
	out := filepath.Join(root, "tests", "out", "console")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), journeyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("tests", "console", "journeys.test.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"SWITCHBOARD_CONSOLE_URL="+stack.URL(""),
		"SWITCHBOARD_DATA="+stack.Data,
		"SWITCHBOARD_SIP_UDP="+stack.SIPUDP,
		"SWITCHBOARD_OUT="+out,
		"SWITCHBOARD_CHROMIUM="+chromium,
	)
	start := time.Now()
	output, err := cmd.CombinedOutput()
	took := time.Since(start).Round(100 * time.Millisecond)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("browser journeys did not finish within %s", journeyTimeout)
		}
		t.Fatalf("browser journeys failed after %s: %v\n%s\n--- stack log ---\n%s", took, err, output, stack.Log())
	}
	t.Logf("browser journeys passed in %s; screenshots in %s\n%s", took, out, output)
}
