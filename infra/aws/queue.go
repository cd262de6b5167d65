package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/events/webhook"
)

// webhookFunction consumes the webhook queue.
const webhookFunction = "webhooks"

// envWebhookQueueURL names the queue in the webhooks function, which
// changes the visibility of a message that failed (its retry backoff).
const envWebhookQueueURL = "WEBHOOK_QUEUE_URL"

// Webhook queue settings. A message stays hidden while a batch runs, and
// six times the function's timeout besides (the usual margin for retried
// invocations). The queue keeps messages for four days, longer than the
// day of retries; after webhook.DefaultRetry.Attempts receives, which span
// at least that day, a message moves to the dead-letter queue, kept for
// the two weeks SQS allows.
const (
	webhookBatchSize      = 10
	webhookVisibilitySecs = 6 * eventTimeoutSeconds
	webhookRetentionDays  = 4
	webhookDeadDays       = 14
)

// attachWebhookQueue defines the webhook queue and its dead-letter queue
// and makes the queue the webhooks function's event source. The function
// opens the accounts' signing secrets with key. The fleet's nodes publish
// call events to the queue.
func attachWebhookQueue(scope constructs.Construct, fns functions, key awskms.Key) (awssqs.Queue, error) {
	fn, ok := fns[webhookFunction]
	if !ok {
		return nil, fmt.Errorf("webhook consumer %s is not among the functions", webhookFunction)
	}
	dead := awssqs.NewQueue(scope, jsii.String("WebhookDeadLetters"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(webhookDeadDays)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	queue := awssqs.NewQueue(scope, jsii.String("WebhookQueue"), &awssqs.QueueProps{
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(webhookVisibilitySecs)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(webhookRetentionDays)),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dead,
			MaxReceiveCount: jsii.Number(float64(webhook.DefaultRetry.Attempts())),
		},
	})
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(webhookBatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
	fn.AddEnvironment(jsii.String(envWebhookQueueURL), queue.QueueUrl(), nil)
	fn.AddEnvironment(jsii.String(envKMSKeyID), key.KeyArn(), nil)
	key.GrantDecrypt(fn)

	awscdk.NewCfnOutput(scope, jsii.String("WebhookQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Queue the media fleet publishes answer and hangup events to"),
		Value:       queue.QueueUrl(),
	})
	awscdk.NewCfnOutput(scope, jsii.String("WebhookDeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Webhook events no consumer took for a day"),
		Value:       dead.QueueUrl(),
	})
	return queue, nil
}
