// Command bootstrap is the streamsync function on AWS Lambda
// (provided.al2023), the event source of the table's DynamoDB stream. It
// runs in the fleet's VPC and pushes every batch to every live fleet node
// listed in the table named by SWITCHBOARD_TABLE (see functions/awsenv).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard/switchboard/functions/awsenv"
	"github.com/switchboard/switchboard/functions/streamsync"
)

func main() {
	env := awsenv.Must(context.Background())
	sink, err := streamsync.NewFanout(env.Store, streamsync.FanoutConfig{}, env.Logger)
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
