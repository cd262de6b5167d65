package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

// TableClient is the part of the DynamoDB API CreateTable uses;
// *dynamodb.Client implements it.
type TableClient interface {
	dynamodb.DescribeTableAPIClient
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// tableWait bounds how long CreateTable waits for the table to turn ACTIVE.
const tableWait = 2 * time.Minute

// CreateTable creates the table def describes (see store.Definition):
// string keys PK and SK, the global indexes projecting all attributes,
// on-demand billing and a stream of new and old images. It waits until the
// table is ACTIVE and then turns on TTL for def.TTL. It is meant for
// DynamoDB Local and tests; the deployed table is made by infra/aws from
// the same definition.
func CreateTable(ctx context.Context, client TableClient, def store.Table) error {
	if _, err := client.CreateTable(ctx, createInput(def)); err != nil {
		return fmt.Errorf("create table %s: %w", def.Name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	in := &dynamodb.DescribeTableInput{TableName: aws.String(def.Name)}
	if err := waiter.Wait(ctx, in, tableWait); err != nil {
		return fmt.Errorf("wait for table %s: %w", def.Name, err)
	}
	if def.TTL == "" {
		return nil
	}
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(def.Name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(def.TTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on table %s: %w", def.Name, err)
	}
	return nil
}

func createInput(def store.Table) *dynamodb.CreateTableInput {
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(store.AttrPK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(store.AttrSK), AttributeType: types.ScalarAttributeTypeS},
	}
	seen := map[string]bool{store.AttrPK: true, store.AttrSK: true}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range def.Indexes {
		for _, name := range []string{ix.PK, ix.SK} {
			if !seen[name] {
				seen[name] = true
				attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS})
			}
		}
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PK, ix.SK),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	in := &dynamodb.CreateTableInput{
		TableName:              aws.String(def.Name),
		AttributeDefinitions:   attrs,
		KeySchema:              keySchema(store.AttrPK, store.AttrSK),
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
	}
	if def.StreamView != "" {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(def.StreamView),
		}
	}
	return in
}

func keySchema(pk, sk string) []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
	}
}
