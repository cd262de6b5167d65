// Command bootstrap is the webhooks function on AWS Lambda (provided.al2023):
// it consumes the webhook queue (WEBHOOK_QUEUE_URL), opening the accounts'
// signing secrets with the KMS key (KMS_KEY_ID), and sends only https
// requests to public addresses.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/events/webhook/sqs"
	"github.com/switchboard/switchboard/functions/awsenv"
	"github.com/switchboard/switchboard/functions/webhooks"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/secret"
)

func main() {
	env := awsenv.Must(context.Background())
	queueURL := os.Getenv("WEBHOOK_QUEUE_URL")
	if queueURL == "" || env.Config.KMSKeyID == "" {
		fail(fmt.Errorf("webhooks: WEBHOOK_QUEUE_URL and KMS_KEY_ID are required"))
	}
	env.Logger.Info("webhooks starting", "queue", queueURL)
	seal := secret.Envelope{KEK: secret.KMS{Client: kms.NewFromConfig(env.AWS), KeyID: env.Config.KMSKeyID}}
	d, err := webhook.New(webhook.Config{URLs: account.StrictURLs}, env.Store, seal, env.Logger)
	if err != nil {
		fail(err)
	}
	q, err := sqs.New(env.AWS, queueURL)
	if err != nil {
		fail(err)
	}
	lambda.Start(webhooks.New(d, q, webhook.DefaultRetry, env.Logger).Handle)
}

// fail ends a cold start that cannot work; Lambda reports it as an init
// failure.
func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
