package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sync/errgroup"
)

// buildParallelism bounds concurrent builds: the compiles share Go's build
// cache, so beyond a few the builds mostly wait on each other and on memory.
const buildParallelism = 4

// buildFunctions cross-compiles each named function's main package
// (functions/<name>/bootstrap in the module at root) into
// dir/<name>/bootstrap, the layout StackProps.CodeDir expects.
func buildFunctions(ctx context.Context, root, dir string, names []string) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(buildParallelism)
	for _, name := range names {
		g.Go(func() error { return buildFunction(ctx, root, dir, name) })
	}
	return g.Wait()
}

// buildFunction builds one function for Lambda's arm64 runtime: static
// (no cgo, so it runs on the bare provided.al2023 image), without the RPC
// shim that only the retired go1.x runtime needed, and with paths and
// symbols stripped to keep the upload small and the build reproducible.
func buildFunction(ctx context.Context, root, dir, name string) error {
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build",
		"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s",
		"-o", out, "./functions/"+name+"/bootstrap")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build function %s: %w\n%s", name, err, msg)
	}
	return nil
}

// The fleet's node program: its main package in the module, and where
// StackProps.CodeDir holds its linux/arm64 build.
const (
	fleetPackage = "./mediafleet/fleetd"
	fleetCodeDir = "fleetd"
	fleetBinary  = "switchboard-fleet"
)

// buildFleet builds the fleet's node program for the Graviton instances
// into dir/fleetd/switchboard-fleet: static, so it needs nothing from the
// instance's image, and stripped like the functions.
func buildFleet(ctx context.Context, root, dir string) error {
	out := filepath.Join(dir, fleetCodeDir, fleetBinary)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s", "-o", out, fleetPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build fleet %s: %w\n%s", fleetPackage, err, msg)
	}
	return nil
}
