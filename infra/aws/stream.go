package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
)

// streamFunction is the function that turns table changes into fleet
// updates.
const streamFunction = "streamsync"

// Stream consumption settings. Records are read from the oldest one kept
// (TRIM_HORIZON) so a newly deployed or re-enabled mapping misses no change.
// A failing batch is split and only the failed records are retried, so one
// bad record cannot hold up the rest of its shard; after a bounded number of
// attempts or a day of age a record is dropped, and the fleet nodes notice
// the gap and reconcile from a snapshot.
const (
	streamBatchSize     = 100
	streamRetryAttempts = 10
	streamMaxRecordAge  = 24 // hours
)

// attachStream makes the table's change stream the event source of the
// streamsync function.
func attachStream(table awsdynamodb.Table, fns functions) error {
	fn, ok := fns[streamFunction]
	if !ok {
		return fmt.Errorf("stream consumer %s is not among the functions", streamFunction)
	}
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(streamBatchSize),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(streamRetryAttempts),
		MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(streamMaxRecordAge)),
		ReportBatchItemFailures: jsii.Bool(true),
		Filters:                 streamFilters(),
	}))
	return nil
}

// streamFilters pass only the records of items the fleet follows (by
// their type attribute: the new image, or the old one of a removal), so
// that the many writes the fleet does not follow (bindings, call records,
// the nodes' heartbeats, rate limits) invoke nothing.
func streamFilters() *[]*map[string]any {
	var types []any
	for _, k := range change.Followed {
		types = append(types, string(k))
	}
	typeIs := map[string]any{model.AttrType: map[string]any{"S": types}}
	return &[]*map[string]any{
		awslambda.FilterCriteria_Filter(&map[string]any{"dynamodb": map[string]any{"NewImage": typeIs}}),
		awslambda.FilterCriteria_Filter(&map[string]any{"eventName": []any{"REMOVE"}, "dynamodb": map[string]any{"OldImage": typeIs}}),
	}
}
