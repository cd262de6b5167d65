// Package layout checks the shape of the repository that ARCHITECTURE.md
// fixes: the top level, and the direction of dependencies between the
// project's parts.
package layout

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/tests/harness"
)

const module = "github.com/switchboard/switchboard"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// packages lists the project's packages with their dependencies.
func packages(t *testing.T) []pkg {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// part names the part of the project a package belongs to: shared,
// events, functions, mediafleet, infra or tests.
func part(path string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	return strings.Split(rel, "/")[0]
}

// allowed says whether a package of part from may import one of part to.
func allowed(from, to string) bool {
	switch from {
	case "shared":
		return to == "shared"
	case "events":
		return to == "shared" || to == "events"
	case "functions":
		return to == "shared" || to == "events" || to == "functions"
	case "mediafleet":
		return to == "shared" || to == "events" || to == "mediafleet"
	case "infra":
		return to != "tests"
	case "tests":
		return true
	}
	return false
}

func TestDependencyDirection(t *testing.T) {
	for _, p := range packages(t) {
		from := part(p.ImportPath)
		for _, dep := range p.Deps {
			if !strings.HasPrefix(dep, module+"/") {
				continue
			}
			if to := part(dep); !allowed(from, to) {
				t.Errorf("%s (%s) depends on %s (%s): ARCHITECTURE.md forbids %s -> %s",
					p.ImportPath, from, dep, to, from, to)
			}
		}
	}
}

// TestRuleCatchesViolations keeps the check honest: it must reject the
// imports ARCHITECTURE.md forbids.
func TestRuleCatchesViolations(t *testing.T) {
	bad := [][2]string{
		{"shared/store", "events"}, {"shared/model", "functions/users"}, {"events", "mediafleet/node"},
		{"functions/users", "mediafleet/node"}, {"mediafleet/node", "functions/streamsync"},
		{"shared/store", "infra/local"}, {"functions/api", "tests/harness"}, {"mediafleet/stun", "infra/aws"},
	}
	for _, b := range bad {
		if allowed(part(module+"/"+b[0]), part(module+"/"+b[1])) {
			t.Errorf("%s -> %s is allowed, want forbidden", b[0], b[1])
		}
	}
	good := [][2]string{{"functions/streamsync", "shared/change"}, {"mediafleet/node", "shared/store"}, {"infra/local", "mediafleet/node"}}
	for _, g := range good {
		if !allowed(part(module+"/"+g[0]), part(module+"/"+g[1])) {
			t.Errorf("%s -> %s is forbidden, want allowed", g[0], g[1])
		}
	}
}

func TestTopLevel(t *testing.T) {
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	want := map[string]bool{
		"functions": true, "mediafleet": true, "infra": true, "shared": true, "events": true, "tests": true,
		"go.mod": true, "go.sum": true, "cdk.json": true, "README.md": true,
		// Tool files of the test command.
		"package.json": true, "package-lock.json": true,
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		top := strings.SplitN(f, "/", 2)[0]
		if strings.HasPrefix(top, ".") {
			continue // .ci, .gitignore and other dotfiles
		}
		if !want[top] {
			t.Errorf("unexpected top-level entry %q", top)
		}
		seen[top] = true
	}
	var missing []string
	for _, d := range []string{"functions", "mediafleet", "infra", "shared", "events", "tests", "go.mod", "go.sum", "cdk.json", "README.md"} {
		if !seen[d] {
			if _, err := os.Stat(filepath.Join(root, d)); err != nil {
				missing = append(missing, d)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("missing top-level entries: %v", missing)
	}
}
