// Command bootstrap is the streamsync function on AWS Lambda
// (provided.al2023), the event source of the table's DynamoDB stream. It
// runs in the fleet's VPC and pushes every batch to every live fleet node
// listed in the table named by SWITCHBOARD_TABLE (the fleet's name for the
// setting; TABLE_NAME, which functions/awsenv reads, when it is unset).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/switchboard/switchboard/functions/awsenv"
	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/shared/store/dynamo"
)

func main() {
	env := awsenv.Must(context.Background())
	var nodes streamsync.Nodes = env.Store
	if table := os.Getenv("SWITCHBOARD_TABLE"); table != "" {
		db, err := dynamo.New(dynamodb.NewFromConfig(env.AWS), dynamo.Config{TableName: table})
		if err != nil {
			env.Logger.Error("streamsync", "err", err)
			os.Exit(1)
		}
		nodes = db
	}
	sink, err := streamsync.NewFanout(nodes, streamsync.FanoutConfig{}, env.Logger)
	if err != nil {
		env.Logger.Error("streamsync", "err", err)
		os.Exit(1)
	}
	h, err := streamsync.New(sink, env.Logger)
	if err != nil {
		env.Logger.Error("streamsync", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
