package main

import (
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
)

// Timeouts per kind of function. An HTTP function answers a person waiting
// in the console, so it fails fast; an event function works through a batch
// (stream records, webhook deliveries, an export) and may take longer.
const (
	httpTimeoutSeconds  = 10
	eventTimeoutSeconds = 60
)

// Environment variables every function reads its wiring from.
const (
	envTableName        = "TABLE_NAME"
	envExportsBucket    = "EXPORTS_BUCKET"
	envRecordingsBucket = "RECORDINGS_BUCKET"
	envDocumentsBucket  = "DOCUMENTS_BUCKET"
	envLogFormat        = "LOG_FORMAT"
)

// functions maps a function name (as in gateway.Names) to its Lambda.
type functions map[string]awslambda.Function

// functionsConfig is what every function definition shares.
type functionsConfig struct {
	codeDir      string
	memoryMB     int
	logRetention awslogs.RetentionDays
	env          map[string]*string
	httpEnv      map[string]*string // env plus the account domain's settings
	net          network            // where streamsync runs, next to the fleet
}

// newFunctions defines one Lambda per function the gateway package lists,
// so adding a function there is enough to deploy it.
func newFunctions(scope constructs.Construct, cfg functionsConfig) functions {
	fns := make(functions)
	for _, f := range gateway.HTTP {
		fns[f.Name] = newFunction(scope, f.Name, httpTimeoutSeconds, cfg, cfg.httpEnv)
	}
	for _, name := range gateway.Event {
		env := cfg.env
		if name == streamFunction {
			env = syncEnv(env)
		}
		fns[name] = newFunction(scope, name, eventTimeoutSeconds, cfg, env)
	}
	return fns
}

// envSyncTable names the table in streamsync, which finds the live fleet
// nodes by their heartbeat items and marks a node that missed a push for
// resync. It uses the fleet's name for the setting, as the nodes do.
const envSyncTable = "SWITCHBOARD_TABLE"

// syncEnv is streamsync's environment: the shared one plus the table under
// the fleet's name for it.
func syncEnv(env map[string]*string) map[string]*string {
	out := make(map[string]*string, len(env)+1)
	for k, v := range env {
		out[k] = v
	}
	out[envSyncTable] = env[envTableName]
	return out
}

// newFunction defines one function and its log group. The log group is
// explicit so its retention is set by CloudFormation itself, without the
// extra custom-resource Lambda that the logRetention property deploys.
func newFunction(scope constructs.Construct, name string, timeoutSeconds float64, cfg functionsConfig, env map[string]*string) awslambda.Function {
	logs := awslogs.NewLogGroup(scope, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
		Retention: cfg.logRetention,
		// Logs expire after the retention period anyway; keeping them past
		// the stack would only leave orphaned groups behind.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	props := &awslambda.FunctionProps{
		Description:  jsii.String(functionDescription(name)),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(cfg.codeDir, name)), nil),
		MemorySize:   jsii.Number(float64(cfg.memoryMB)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
		Environment:  &env,
		// The handlers log JSON through slog; the JSON log format keeps
		// Lambda's own platform lines in the same shape.
		LoggingFormat: awslambda.LoggingFormat_JSON,
		LogGroup:      logs,
	}
	// streamsync pushes to the fleet nodes' private sync port, so it runs
	// inside the VPC, in the isolated subnets: it reaches the nodes and
	// DynamoDB's gateway endpoint and nothing else. The other functions
	// need no VPC and stay out of it.
	if name == streamFunction {
		props.Vpc = cfg.net.vpc
		props.VpcSubnets = &awsec2.SubnetSelection{SubnetGroupName: jsii.String(subnetSync)}
		props.SecurityGroups = &[]awsec2.ISecurityGroup{cfg.net.syncSG}
	}
	return awslambda.NewFunction(scope, jsii.String(name+"Function"), props)
}

// functionDescription names the function in the console and lets tests
// find a function without depending on generated logical IDs.
func functionDescription(name string) string {
	return fmt.Sprintf("Switchboard %s function", name)
}

// functionEnv is the environment shared by every function.
func functionEnv(table awsdynamodb.Table, b buckets) map[string]*string {
	return map[string]*string{
		envTableName:        table.TableName(),
		envExportsBucket:    b.Exports.BucketName(),
		envRecordingsBucket: b.Recordings.BucketName(),
		envDocumentsBucket:  b.Documents.BucketName(),
		envLogFormat:        jsii.String("json"),
	}
}

// grantAccess gives every function read/write access to the table (each
// function owns some of its items) and the bucket access bucketGrants lists.
func grantAccess(table awsdynamodb.Table, b buckets, fns functions) error {
	for _, name := range gateway.Names() {
		table.Grants().ReadWriteData(fns[name])
	}
	for _, g := range bucketGrants() {
		if err := g.apply(b, fns); err != nil {
			return fmt.Errorf("grant access: %w", err)
		}
	}
	return nil
}
