package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
	"github.com/switchboard/switchboard/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock store.Clock) storetest.Harness {
		tb := newTable(t)
		return storetest.Harness{
			Store: tb.adapter(t, nil, clock),
			Changes: func(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
				return dynamo.ReadStream(ctx, tb.streams, tb.name)
			},
		}
	})
}
