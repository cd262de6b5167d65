package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/shared/store"
)

// newTable defines the single table from the store's definition, so the
// deployed keys, indexes, TTL attribute and stream view are the ones the
// store adapters and their conformance suite use.
//
// It uses awsdynamodb.Table (AWS::DynamoDB::Table) rather than TableV2
// (AWS::DynamoDB::GlobalTable): Switchboard runs in one region, and the
// single-region resource carries deletion protection and point-in-time
// recovery as table properties and exposes the stream ARN the streamsync
// event source needs.
func newTable(scope constructs.Construct, def store.Table) (awsdynamodb.Table, error) {
	view, err := streamView(def.StreamView)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", def.Name, err)
	}
	// The physical name is left to CloudFormation so that two stacks (say,
	// staging and production) can share an account; functions get the name
	// through TABLE_NAME and the fleet through the stack output.
	table := awsdynamodb.NewTable(scope, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        stringAttr(store.AttrPK),
		SortKey:             stringAttr(store.AttrSK),
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Stream:              view,
		TimeToLiveAttribute: jsii.String(def.TTL),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(true),
		// The table is the system of record: deleting the stack must not
		// delete accounts, numbers or billing data.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, ix := range def.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   stringAttr(ix.PK),
			SortKey:        stringAttr(ix.SK),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return table, nil
}

// streamView maps the store's stream view name to the CDK enum, refusing
// views the stream consumers were not written for.
func streamView(name string) (awsdynamodb.StreamViewType, error) {
	switch v := awsdynamodb.StreamViewType(name); v {
	case awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
		awsdynamodb.StreamViewType_NEW_IMAGE,
		awsdynamodb.StreamViewType_OLD_IMAGE,
		awsdynamodb.StreamViewType_KEYS_ONLY:
		return v, nil
	default:
		return "", fmt.Errorf("unknown stream view %q", name)
	}
}

func stringAttr(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}
