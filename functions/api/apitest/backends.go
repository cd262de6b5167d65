package apitest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
	"github.com/switchboard/switchboard/shared/store/dynamo/dynamolocal"
)

// local is the DynamoDB Local of a test binary that called Main.
var local *dynamolocal.Server

// Main starts DynamoDB Local for a test binary whose tests run handlers on
// both store adapters:
//
//	func TestMain(m *testing.M) { os.Exit(apitest.Main(m)) }
func Main(m interface{ Run() int }) int { return dynamolocal.Main(m, &local) }

// Backend names a store adapter to run handlers on.
type Backend struct {
	Name  string
	Start func(t testing.TB, fns ...api.Registrar) *Server
}

// Backends are the embedded store and, when Main started it, DynamoDB
// Local with a fresh table per test.
func Backends() []Backend {
	return []Backend{
		{Name: "embedded", Start: Start},
		{Name: "dynamodb", Start: startDynamo},
	}
}

func startDynamo(t testing.TB, fns ...api.Registrar) *Server {
	t.Helper()
	srv := dynamolocal.ForTest(t, local)
	client, _ := srv.Clients()
	name := dynamolocal.TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dynamo.CreateTable(ctx, client, store.Definition(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	db, err := dynamo.New(client, dynamo.Config{TableName: name})
	if err != nil {
		t.Fatal(err)
	}
	return StartOn(t, db, t.TempDir(), fns...)
}
