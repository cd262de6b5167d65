package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/store"
)

// Defaults for the optional StackProps fields.
const (
	DefaultMemoryMB     = 256
	DefaultLogRetention = awslogs.RetentionDays_ONE_MONTH
)

// StackProps configures the Switchboard stack.
type StackProps struct {
	awscdk.StackProps

	// CodeDir holds one folder per function, named after the function, each
	// containing the function's linux/arm64 executable called bootstrap (the
	// name the provided.al2023 runtime starts). The app fills it by building
	// the functions; tests point it at placeholder files so synthesis needs
	// no cross-compilation.
	CodeDir string

	// MemoryMB is the memory size of every function; zero means
	// DefaultMemoryMB.
	MemoryMB int

	// LogRetention is how long function logs are kept; empty means
	// DefaultLogRetention.
	LogRetention awslogs.RetentionDays

	// SIPDomain is the SIP domain and digest realm phones register to;
	// empty means DefaultSIPDomain.
	SIPDomain string

	// FleetInstanceType is the EC2 instance type of the fleet's nodes, an
	// arm64 (Graviton) type since the node program is built for arm64;
	// empty means DefaultFleetInstanceType.
	FleetInstanceType string

	// FleetSize is the number of fleet nodes, and of the Elastic IPs they
	// serve on; zero means DefaultFleetSize.
	FleetSize int
}

// withDefaults returns p with its zero-valued optional fields filled in.
func (p StackProps) withDefaults() StackProps {
	if p.MemoryMB == 0 {
		p.MemoryMB = DefaultMemoryMB
	}
	if p.LogRetention == "" {
		p.LogRetention = DefaultLogRetention
	}
	if p.SIPDomain == "" {
		p.SIPDomain = DefaultSIPDomain
	}
	if p.FleetInstanceType == "" {
		p.FleetInstanceType = DefaultFleetInstanceType
	}
	if p.FleetSize == 0 {
		p.FleetSize = DefaultFleetSize
	}
	return p
}

// validate reports the first problem that would otherwise surface as an
// obscure error deep inside synthesis.
func (p StackProps) validate() error {
	if p.MemoryMB < 128 || p.MemoryMB > 10240 {
		return fmt.Errorf("memory %d MB is outside Lambda's 128-10240 MB range", p.MemoryMB)
	}
	if p.FleetSize < 1 {
		return fmt.Errorf("fleet size %d: want at least one node", p.FleetSize)
	}
	if !graviton.MatchString(p.FleetInstanceType) {
		return fmt.Errorf("fleet instance type %s is not an arm64 (Graviton) type such as %s", p.FleetInstanceType, DefaultFleetInstanceType)
	}
	if p.CodeDir == "" {
		return errors.New("no code folder given for the functions")
	}
	for _, name := range gateway.Names() {
		if err := regularFile(filepath.Join(p.CodeDir, name, "bootstrap")); err != nil {
			return fmt.Errorf("code for function %s: %w", name, err)
		}
	}
	if err := regularFile(filepath.Join(p.CodeDir, fleetCodeDir, fleetBinary)); err != nil {
		return fmt.Errorf("code for the fleet (%s): %w", fleetPackage, err)
	}
	return nil
}

// graviton matches the arm64 instance types: the family's generation digit
// is followed by a "g" (c7g, c7gn, m6gd, t4g, im4gn).
var graviton = regexp.MustCompile(`^[a-z]+[0-9]+g[a-z-]*\.[a-z0-9]+$`)

func regularFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// NewStack defines the Switchboard stack in scope. It returns an error when
// props are unusable, before any resource is defined.
func NewStack(scope constructs.Construct, id string, props StackProps) (awscdk.Stack, error) {
	props = props.withDefaults()
	if err := props.validate(); err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	def := store.Definition("")

	sprops := props.StackProps
	sprops.Tags = stackTags(sprops.Tags)
	if sprops.Description == nil {
		sprops.Description = jsii.String("Switchboard cloud PBX: table, buckets, functions, HTTP API and media fleet")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sprops)

	table, err := newTable(stack, def)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	buckets := newBuckets(stack)
	key := newSecretsKey(stack)
	env := functionEnv(table, buckets)
	net := newNetwork(stack)
	fns := newFunctions(stack, functionsConfig{
		codeDir:      props.CodeDir,
		memoryMB:     props.MemoryMB,
		logRetention: props.LogRetention,
		env:          env,
		httpEnv:      accountEnv(env, key, props.SIPDomain),
		net:          net,
	})
	grantSecrets(key, fns)
	if err := grantAccess(table, buckets, fns); err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	if err := attachStream(table, fns); err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	queue, err := attachWebhookQueue(stack, fns, key)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	if _, err := newFleet(stack, fleetConfig{
		instanceType: props.FleetInstanceType,
		size:         props.FleetSize,
		sipDomain:    props.SIPDomain,
		codeDir:      props.CodeDir,
		net:          net,
		table:        table,
		queue:        queue,
		key:          key,
	}); err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	api, err := newAPI(stack, fns)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	if _, err := newConsole(stack, api); err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API"),
		Value:       api.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("Name of the Switchboard table"),
		Value:       table.TableName(),
	})
	return stack, nil
}

// stackTags adds the app tag to tags. Tags are set on the stack itself
// because CloudFormation then applies them to every resource it creates,
// and the explicitStackTags feature flag ignores Tags.Of on a stack.
func stackTags(tags *map[string]*string) *map[string]*string {
	out := map[string]*string{"app": jsii.String("switchboard")}
	if tags != nil {
		for k, v := range *tags {
			out[k] = v
		}
	}
	return &out
}
