package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildFunctions cross-compiles a tiny module laid out like
// functions/<name>/bootstrap, checking the binaries are what the
// provided.al2023 arm64 runtime runs and that a missing function fails the
// build with its name.
func TestBuildFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles with the go tool")
	}
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/fns\n\ngo 1.22\n")
	for _, name := range []string{"alpha", "beta"} {
		writeFile(t, filepath.Join(root, "functions", name, "bootstrap", "main.go"), "package main\n\nfunc main() {}\n")
	}
	t.Setenv("GOWORK", "off")

	t.Run("builds", func(t *testing.T) {
		out := t.TempDir()
		if err := buildFunctions(t.Context(), root, out, []string{"alpha", "beta"}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"alpha", "beta"} {
			f, err := elf.Open(filepath.Join(out, name, "bootstrap"))
			if err != nil {
				t.Fatalf("function %s: %v", name, err)
			}
			if f.Machine != elf.EM_AARCH64 {
				t.Errorf("function %s: machine %v, want %v", name, f.Machine, elf.EM_AARCH64)
			}
			if interp := f.Section(".interp"); interp != nil {
				t.Errorf("function %s: dynamically linked, want a static binary", name)
			}
			f.Close()
		}
	})
	t.Run("missing function", func(t *testing.T) {
		err := buildFunctions(t.Context(), root, t.TempDir(), []string{"alpha", "gamma"})
		if err == nil || !strings.Contains(err.Error(), "build function gamma") {
			t.Fatalf("error = %v, want one naming function gamma", err)
		}
	})
}

// TestBuildFleet cross-compiles a tiny module laid out like the fleet's
// node program into the place StackProps.CodeDir expects it, and checks a
// module without the program fails naming its package.
func TestBuildFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles with the go tool")
	}
	t.Setenv("GOWORK", "off")
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/fleet\n\ngo 1.22\n")
	writeFile(t, filepath.Join(root, "mediafleet", "fleetd", "main.go"), "package main\n\nfunc main() {}\n")

	t.Run("builds", func(t *testing.T) {
		out := t.TempDir()
		if err := buildFleet(t.Context(), root, out); err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(filepath.Join(out, fleetCodeDir, fleetBinary))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("machine %v, want %v", f.Machine, elf.EM_AARCH64)
		}
		if f.Section(".interp") != nil {
			t.Error("dynamically linked, want a static binary")
		}
	})
	t.Run("missing program", func(t *testing.T) {
		empty := t.TempDir()
		writeFile(t, filepath.Join(empty, "go.mod"), "module example.com/empty\n\ngo 1.22\n")
		err := buildFleet(t.Context(), empty, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "build fleet ./mediafleet/fleetd") {
			t.Fatalf("error = %v, want one naming ./mediafleet/fleetd", err)
		}
	})
}

// TestFleetPackage checks that the package the app builds the fleet from
// is a command in this module, so a move of the fleet's program fails here
// rather than at the first real synthesis.
func TestFleetPackage(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.Name}}", fleetPackage)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the fleet's program %s is not in the module: %v\n%s", fleetPackage, err, out)
	}
	if name := strings.TrimSpace(string(out)); name != "main" {
		t.Errorf("%s is package %s, want a command (package main)", fleetPackage, name)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
