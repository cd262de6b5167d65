package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
)

// Context keys the app reads (`cdk synth -c key=value`, or cdk.json).
const (
	ctxStackName = "stackName" // CloudFormation stack name
	ctxCodeDir   = "codeDir"   // prebuilt code: DIR/<function>/bootstrap, DIR/fleetd/switchboard-fleet
	ctxMemoryMB  = "memoryMB"  // memory of every function
	ctxSIPDomain = "sipDomain" // SIP domain and realm phones register to

	ctxFleetInstanceType = "fleetInstanceType" // EC2 type of the fleet's nodes (arm64)
	ctxFleetSize         = "fleetSize"         // number of fleet nodes and of their addresses
)

const defaultStackName = "Switchboard"

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard cdk app:", err)
		os.Exit(1)
	}
}

// config is the app's configuration, read from the CDK context and the
// environment the CLI sets.
type config struct {
	StackName string
	CodeDir   string // empty: build the functions and the fleet into Outdir/.build
	MemoryMB  int
	SIPDomain string
	Outdir    string
	Account   string
	Region    string

	FleetInstanceType string
	FleetSize         int
}

func run(ctx context.Context) error {
	defer jsii.Close()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	app, err := newApp(root)
	if err != nil {
		return err
	}
	cfg, err := readConfig(app)
	if err != nil {
		return err
	}
	slog.Info("synthesizing", "stack", cfg.StackName, "codeDir", cfg.CodeDir,
		"memoryMB", cfg.MemoryMB, "fleetInstanceType", cfg.FleetInstanceType, "fleetSize", cfg.FleetSize, "outdir", cfg.Outdir, "account", cfg.Account, "region", cfg.Region)

	if cfg.CodeDir == "" {
		cfg.CodeDir = filepath.Join(cfg.Outdir, ".build")
		if err := buildFunctions(ctx, root, cfg.CodeDir, gateway.Names()); err != nil {
			return err
		}
		if err := buildFleet(ctx, root, cfg.CodeDir); err != nil {
			return err
		}
	}
	_, err = NewStack(app, cfg.StackName, StackProps{
		StackProps: awscdk.StackProps{Env: environment(cfg)},
		CodeDir:    cfg.CodeDir,
		MemoryMB:   cfg.MemoryMB,
		SIPDomain:  cfg.SIPDomain,

		FleetInstanceType: cfg.FleetInstanceType,
		FleetSize:         cfg.FleetSize,
	})
	if err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// moduleRoot returns the folder of the module's go.mod: the functions are
// built from there whatever folder the app was started in.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("find module root: not inside the Switchboard module")
	}
	return filepath.Dir(gomod), nil
}

// newApp creates the CDK app. Run by the CLI, the app gets its context and
// output folder from the CLI; run directly, it reads cdk.json's context
// itself and writes to cdk.out at the module root, as the CLI would.
func newApp(root string) (awscdk.App, error) {
	props := &awscdk.AppProps{}
	if os.Getenv("CDK_CONTEXT_JSON") == "" {
		c, err := fileContext(filepath.Join(root, "cdk.json"))
		if err != nil {
			return nil, err
		}
		props.Context = &c
	}
	if os.Getenv("CDK_OUTDIR") == "" {
		props.Outdir = jsii.String(filepath.Join(root, "cdk.out"))
	}
	return awscdk.NewApp(props), nil
}

func readConfig(app awscdk.App) (config, error) {
	cfg := config{
		StackName: contextString(app, ctxStackName),
		CodeDir:   contextString(app, ctxCodeDir),
		Outdir:    *app.Outdir(),
		Account:   os.Getenv("CDK_DEFAULT_ACCOUNT"),
		Region:    os.Getenv("CDK_DEFAULT_REGION"),
	}
	if cfg.StackName == "" {
		cfg.StackName = defaultStackName
	}
	if cfg.CodeDir != "" {
		dir, err := filepath.Abs(cfg.CodeDir)
		if err != nil {
			return config{}, fmt.Errorf("context %s: %w", ctxCodeDir, err)
		}
		cfg.CodeDir = dir
	}
	if s := contextString(app, ctxMemoryMB); s != "" {
		mb, err := strconv.Atoi(s)
		if err != nil {
			return config{}, fmt.Errorf("context %s: %w", ctxMemoryMB, err)
		}
		cfg.MemoryMB = mb
	}
	cfg.SIPDomain = contextString(app, ctxSIPDomain)
	cfg.FleetInstanceType = contextString(app, ctxFleetInstanceType)
	if s := contextString(app, ctxFleetSize); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return config{}, fmt.Errorf("context %s: %w", ctxFleetSize, err)
		}
		if n < 1 {
			return config{}, fmt.Errorf("context %s: %d nodes, want at least 1", ctxFleetSize, n)
		}
		cfg.FleetSize = n
	}
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = DefaultMemoryMB
	}
	if cfg.FleetInstanceType == "" {
		cfg.FleetInstanceType = DefaultFleetInstanceType
	}
	if cfg.FleetSize == 0 {
		cfg.FleetSize = DefaultFleetSize
	}
	return cfg, nil
}

// contextString returns a context value as a string. Values given with -c
// arrive as strings, values from cdk.json keep their JSON type.
func contextString(app awscdk.App, key string) string {
	switch v := app.Node().TryGetContext(jsii.String(key)).(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// environment pins the stack to the CLI's account and region when the CLI
// knows them, and leaves it environment-agnostic otherwise, so synthesis
// needs no AWS credentials.
func environment(cfg config) *awscdk.Environment {
	if cfg.Account == "" || cfg.Region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
}
