// Command bootstrap is the webhooks function on AWS Lambda (provided.al2023).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard/switchboard/functions/awsenv"
	"github.com/switchboard/switchboard/functions/webhooks"
)

func main() {
	_ = awsenv.Must(context.Background())
	lambda.Start(webhooks.New().Handle)
}
