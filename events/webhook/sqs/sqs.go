// Package sqs is the webhook queue on AWS: an SQS queue the fleet
// publishes answer and hangup events to and functions/webhooks consumes.
// It speaks the two actions that needs, SendMessage and
// ChangeMessageVisibility (the retry backoff of a failed delivery), over
// SQS's JSON protocol with SigV4-signed requests.
//
// It is not a general SQS client, and not the queue of the local stack
// (that is webhook.Queue, in the table).
package sqs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
)

// MaxVisibility is the longest SQS hides a message.
const MaxVisibility = 12 * time.Hour

// Queue is one SQS queue.
type Queue struct {
	url      string // the queue URL
	endpoint string // where its actions are posted
	region   string
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	http     *http.Client
	now      func() time.Time
}

// New returns the queue at queueURL, with the credentials and region of
// cfg.
func New(cfg aws.Config, queueURL string) (*Queue, error) {
	u, err := url.Parse(queueURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("sqs: queue URL %q", queueURL)
	}
	if cfg.Credentials == nil || cfg.Region == "" {
		return nil, errors.New("sqs: no credentials or region")
	}
	return &Queue{url: queueURL, endpoint: u.Scheme + "://" + u.Host + "/", region: cfg.Region, creds: cfg.Credentials,
		signer: v4.NewSigner(), http: &http.Client{Timeout: 10 * time.Second}, now: time.Now}, nil
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
	return q.call(ctx, "SendMessage", map[string]any{"QueueUrl": q.url, "MessageBody": string(body)})
}

// ChangeVisibility hides a received message for d (at most
// MaxVisibility): the backoff before its next attempt.
func (q *Queue) ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error {
	secs := int64(min(d, MaxVisibility) / time.Second)
	return q.call(ctx, "ChangeMessageVisibility", map[string]any{"QueueUrl": q.url, "ReceiptHandle": receiptHandle, "VisibilityTimeout": secs})
}

// call posts one action and checks its answer.
func (q *Queue) call(ctx context.Context, action string, in map[string]any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	creds, err := q.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("sqs %s: credentials: %w", action, err)
	}
	sum := sha256.Sum256(body)
	if err := q.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", q.region, q.now()); err != nil {
		return fmt.Errorf("sqs %s: sign: %w", action, err)
	}
	resp, err := q.http.Do(req)
	if err != nil {
		return fmt.Errorf("sqs %s: %w", action, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var fault struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &fault)
	return fmt.Errorf("sqs %s: %d %s %s", action, resp.StatusCode, fault.Type, fault.Message)
}
