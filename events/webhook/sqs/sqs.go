// Package sqs is the webhook queue on AWS: an SQS queue the fleet
// publishes answer and hangup events to and functions/webhooks consumes.
// It wraps the two actions that needs, SendMessage and
// ChangeMessageVisibility (the retry backoff of a failed delivery), around
// the AWS SDK's SQS client, which signs the requests, retries throttled
// and failed ones, and checks the MD5 digest SQS returns of a sent body.
//
// It is not a general SQS client, and not the queue of the local stack
// (that is webhook.Queue, in the table).
package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
)

// MaxVisibility is the longest SQS hides a message.
const MaxVisibility = 12 * time.Hour

// requestTimeout bounds one HTTP attempt; a publish from a call's hangup
// must not hang on a stalled connection.
const requestTimeout = 10 * time.Second

// Queue is one SQS queue.
type Queue struct {
	url    string // the queue URL
	client *sqs.Client
}

// New returns the queue at queueURL, with the credentials and region of
// cfg. Requests go to cfg.BaseEndpoint when it is set, and otherwise to
// the host of the queue URL, which is the SQS endpoint of the queue's
// region.
func New(cfg aws.Config, queueURL string) (*Queue, error) {
	u, err := url.Parse(queueURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("sqs: queue URL %q", queueURL)
	}
	if cfg.Credentials == nil || cfg.Region == "" {
		return nil, errors.New("sqs: no credentials or region")
	}
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if o.BaseEndpoint == nil {
			o.BaseEndpoint = aws.String(u.Scheme + "://" + u.Host)
		}
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(requestTimeout)
	})
	return &Queue{url: queueURL, client: client}, nil
}

// Publish implements events.Publisher for the fleet on AWS: it sends the
// events webhook delivery queues (answer, hangup) and drops the others.
// The message is the event as JSON, as functions/webhooks reads it.
func (q *Queue) Publish(ctx context.Context, ev events.Event) error {
	if !webhook.Queued(ev) {
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("sqs: encode event %s: %w", ev.ID, err)
	}
	if _, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.url),
		MessageBody: aws.String(string(body)),
	}); err != nil {
		return fmt.Errorf("sqs: send event %s: %w", ev.ID, err)
	}
	return nil
}

// ChangeVisibility hides a received message for d (at most
// MaxVisibility): the backoff before its next attempt. A negative d makes
// the message visible again at once.
func (q *Queue) ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error {
	secs := int32(max(0, min(d, MaxVisibility)) / time.Second)
	if _, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(q.url),
		ReceiptHandle:     aws.String(receiptHandle),
		VisibilityTimeout: secs,
	}); err != nil {
		return fmt.Errorf("sqs: change visibility: %w", err)
	}
	return nil
}
