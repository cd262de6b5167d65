package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/functions/gateway"
)

// TestNewStackRejects checks that unusable props fail with an error that
// names the problem, before any construct is created (so no scope is
// needed and the jsii runtime is not involved).
func TestNewStackRejects(t *testing.T) {
	names := gateway.Names()
	cases := []struct {
		name    string
		props   func(t *testing.T) StackProps
		wantErr string
	}{
		{"no code folder", func(t *testing.T) StackProps {
			return StackProps{}
		}, "no code folder"},
		{"missing bootstrap", func(t *testing.T) StackProps {
			return StackProps{CodeDir: placeholderCode(t, names[:len(names)-1])}
		}, "function " + names[len(names)-1]},
		{"bootstrap is a folder", func(t *testing.T) StackProps {
			dir := placeholderCode(t, names)
			path := filepath.Join(dir, names[0], "bootstrap")
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			return StackProps{CodeDir: dir}
		}, "not a regular file"},
		{"memory too small", func(t *testing.T) StackProps {
			return StackProps{CodeDir: placeholderCode(t, names), MemoryMB: 64}
		}, "memory 64 MB"},
		{"memory too large", func(t *testing.T) StackProps {
			return StackProps{CodeDir: placeholderCode(t, names), MemoryMB: 20480}
		}, "memory 20480 MB"},
		{"missing fleet program", func(t *testing.T) StackProps {
			dir := placeholderCode(t, names)
			if err := os.Remove(filepath.Join(dir, fleetCodeDir, fleetBinary)); err != nil {
				t.Fatal(err)
			}
			return StackProps{CodeDir: dir}
		}, "code for the fleet (./mediafleet/fleetd)"},
		{"x86 fleet instances", func(t *testing.T) StackProps {
			return StackProps{CodeDir: placeholderCode(t, names), FleetInstanceType: "c7i.large"}
		}, "c7i.large is not an arm64"},
		{"malformed fleet instance type", func(t *testing.T) StackProps {
			return StackProps{CodeDir: placeholderCode(t, names), FleetInstanceType: "c7g"}
		}, "c7g is not an arm64"},
		{"negative fleet size", func(t *testing.T) StackProps {
			return StackProps{CodeDir: placeholderCode(t, names), FleetSize: -1}
		}, "fleet size -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewStack(nil, "Test", tc.props(t))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewStack error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestStackPropsDefaults(t *testing.T) {
	p := StackProps{CodeDir: placeholderCode(t, gateway.Names())}.withDefaults()
	if p.MemoryMB != DefaultMemoryMB || p.LogRetention != DefaultLogRetention {
		t.Errorf("defaults = %d MB, %s; want %d MB, %s", p.MemoryMB, p.LogRetention, DefaultMemoryMB, DefaultLogRetention)
	}
	if p.FleetInstanceType != DefaultFleetInstanceType || p.FleetSize != DefaultFleetSize {
		t.Errorf("fleet defaults = %d × %s, want %d × %s", p.FleetSize, p.FleetInstanceType, DefaultFleetSize, DefaultFleetInstanceType)
	}
	if err := p.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}

// TestCDKJSON checks that cdk.json runs this package and carries the
// feature flags the tests synthesize with.
// TestGravitonTypes checks which instance types the fleet accepts: the
// node program is built for arm64 only.
func TestGravitonTypes(t *testing.T) {
	for typ, want := range map[string]bool{
		"c7g.large": true, "c7gn.xlarge": true, "m6gd.2xlarge": true, "t4g.small": true,
		"c8g.medium": true, "im4gn.large": true, "r7g.metal": true,
		"c7i.large": false, "m5.large": false, "t3.micro": false, "c7g": false, "": false, "C7G.LARGE": false,
	} {
		if got := graviton.MatchString(typ); got != want {
			t.Errorf("graviton(%q) = %v, want %v", typ, got, want)
		}
	}
}

func TestCDKJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"app": "go run ./infra/aws"`) {
		t.Errorf("cdk.json does not run ./infra/aws:\n%s", data)
	}
	c, err := fileContext(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c["@aws-cdk/core:validateAgainstDefaultRules"] != true {
		t.Errorf("cdk.json context lacks the flag that fails synthesis on template validation findings")
	}
}

func TestFileContext(t *testing.T) {
	cases := []struct {
		name    string
		content string // empty: no file
		want    map[string]any
		wantErr string
	}{
		{"context", `{"app": "x", "context": {"a": true, "b": "c"}}`, map[string]any{"a": true, "b": "c"}, ""},
		{"no context", `{"app": "x"}`, nil, ""},
		{"malformed", `{"context": `, nil, "parse cdk context"},
		{"missing", "", nil, "read cdk context"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cdk.json")
			if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := fileContext(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("context = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("context[%q] = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
