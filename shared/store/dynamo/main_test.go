package dynamo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
	"github.com/switchboard/switchboard/shared/store/dynamo/dynamolocal"
)

// local is the one DynamoDB Local of this test binary.
var local *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &local)) }

// table is a fresh table of store.Definition on the shared server.
type table struct {
	name    string
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
}

func newTable(t *testing.T) table {
	t.Helper()
	srv := dynamolocal.ForTest(t, local)
	db, streams := srv.Clients()
	tb := table{name: dynamolocal.TableName(t), db: db, streams: streams}
	if err := dynamo.CreateTable(ctxFor(t), db, store.Definition(tb.name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(tb.name)})
	})
	return tb
}

// adapter returns the adapter for tb reached through client (tb.db when nil).
func (tb table) adapter(t *testing.T, client dynamo.Client, clock store.Clock) *dynamo.DB {
	t.Helper()
	if client == nil {
		client = tb.db
	}
	db, err := dynamo.New(client, dynamo.Config{TableName: tb.name, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
