// Package main is Switchboard's AWS deployment: the CDK app that cdk.json at
// the repository root runs. It describes one stack: the single DynamoDB table
// (keys, indexes, TTL and stream taken from shared/store's definition), the S3
// buckets for exports, recordings and documents, one Lambda function per
// function under functions/ (the list comes from functions/gateway), the HTTP
// API that routes each path prefix to its function, the table stream that
// feeds streamsync, and the media fleet: a VPC, an Auto Scaling group of
// Graviton instances running the fleet's node program on the stack's Elastic
// IPs, and streamsync in the VPC's isolated subnets pushing table changes to
// the nodes' sync port.
//
// Running the app (`go run ./infra/aws`, or `npx cdk synth` through the CLI)
// cross-compiles every function and the fleet's node program for
// linux/arm64 and synthesizes the CloudFormation template into cdk.out.
// Passing `-c codeDir=DIR` uses prebuilt binaries instead
// (DIR/<function>/bootstrap and DIR/fleetd/switchboard-fleet).
//
// It is not the local stack (infra/local) and holds no handler code: the
// stack only wires what other packages define, so the deployed routes, table
// layout and function list cannot drift from the code that uses them.
package main
