package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/events/webhook"
)

// testWebhookQueue checks the webhook queue: a day of retries before the
// dead-letter queue, the webhooks function as its consumer with batch item
// failures, and what that function may do with the queue and the key.
func (s synthesized) testWebhookQueue(t *testing.T) {
	const typ = "AWS::SQS::Queue"
	check(t, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(2)) })
	dead := s.logicalID(t, typ, func(id string, _ resource) bool { return len(id) > 18 && id[:18] == "WebhookDeadLetters" })
	queue := s.logicalID(t, typ, func(id string, _ resource) bool { return len(id) > 12 && id[:12] == "WebhookQueue" })
	check(t, func() {
		s.template.HasResourceProperties(jsii.String(typ), props{
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
		})
	})
	check(t, func() {
		s.template.HasResourceProperties(jsii.String(typ), props{
			"VisibilityTimeout":      360,
			"MessageRetentionPeriod": 4 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
			"RedrivePolicy": props{
				"deadLetterTargetArn": props{"Fn::GetAtt": []any{dead, "Arn"}},
				"maxReceiveCount":     webhook.DefaultRetry.Attempts(),
			},
		})
	})
	// Every queue refuses requests without TLS.
	check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::SQS::QueuePolicy"), jsii.Number(2)) })

	fn := s.functionID(t, webhookFunction)
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), props{
			"FunctionName":          props{"Ref": fn},
			"EventSourceArn":        props{"Fn::GetAtt": []any{queue, "Arn"}},
			"BatchSize":             webhookBatchSize,
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		})
	})
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), props{
			"Description": functionDescription(webhookFunction),
			"Environment": props{"Variables": assertions.Match_ObjectLike(&map[string]any{
				envWebhookQueueURL: props{"Ref": queue},
				envKMSKeyID:        assertions.Match_AnyValue(),
			})},
		})
	})
	stmts := s.policyStatements(t, webhookFunction)
	for _, action := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} {
		if !allows(stmts, action, queue) {
			t.Errorf("the webhooks function may not %s on the queue", action)
		}
	}
	key := s.logicalID(t, "AWS::KMS::Key", nil)
	if !allows(stmts, "kms:Decrypt", key) || allows(stmts, "kms:Encrypt", key) {
		t.Error("the webhooks function must open sealed secrets with the key, and seal none")
	}
	for _, name := range []string{"WebhookQueueUrl", "WebhookDeadLetterQueueUrl"} {
		check(t, func() { s.template.HasOutput(jsii.String(name), props{"Value": assertions.Match_AnyValue()}) })
	}
}
