// Command bootstrap is the exports function on AWS Lambda (provided.al2023).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard/switchboard/functions/awsenv"
	"github.com/switchboard/switchboard/functions/exports"
)

func main() {
	_ = awsenv.Must(context.Background())
	lambda.Start(exports.New().Handle)
}
