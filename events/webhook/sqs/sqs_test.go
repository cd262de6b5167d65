package sqs

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/switchboard/switchboard/events"
)

// request is one action as the test server saw it.
type request struct {
	target, auth, path string
	body               map[string]any
}

// TestActions checks the wire form of both actions against a loopback
// server standing in for SQS (there is no SQS to run here): JSON protocol,
// target header, SigV4 signature for the sqs service in the region.
func TestActions(t *testing.T) {
	got := make(chan request, 4)
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		got <- request{r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization"), r.URL.Path, body}
		if fail.Load() {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.sqs#ReceiptHandleIsInvalid","message":"bad handle"}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	q, err := New(cfg, srv.URL+"/123456789012/switchboard-webhooks")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hangup := events.Event{ID: "ev1", Type: events.Hangup, Account: "1234567", Time: time.Unix(1700000000, 0).UTC(),
		Call: &events.Call{ID: "c1", Direction: "in", From: "+4930123456", To: "+492111234567", Cause: "busy"}}
	if err := q.Publish(ctx, hangup); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.target != "AmazonSQS.SendMessage" || r.path != "/" || r.body["QueueUrl"] != srv.URL+"/123456789012/switchboard-webhooks" {
		t.Fatalf("SendMessage %+v", r)
	}
	if !strings.HasPrefix(r.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(r.auth, "/eu-central-1/sqs/aws4_request") {
		t.Fatalf("signature %q", r.auth)
	}
	var sent events.Event
	if err := json.Unmarshal([]byte(r.body["MessageBody"].(string)), &sent); err != nil || sent.ID != "ev1" || sent.Call.Cause != "busy" {
		t.Fatalf("message %v, %v", r.body["MessageBody"], err)
	}
	// Events the webhook queue does not deliver are not sent.
	newCall := hangup
	newCall.Type = events.NewCall
	emergency := hangup
	emergency.Call = &events.Call{ID: "c2", Direction: "out", To: "112"}
	for _, ev := range []events.Event{newCall, emergency} {
		if err := q.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.ChangeVisibility(ctx, "handle-1", 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	r = <-got
	if r.target != "AmazonSQS.ChangeMessageVisibility" || r.body["ReceiptHandle"] != "handle-1" || r.body["VisibilityTimeout"] != float64(43200) {
		t.Fatalf("ChangeMessageVisibility %+v (the cap is 12 h)", r)
	}
	fail.Store(true)
	if err := q.ChangeVisibility(ctx, "handle-2", time.Minute); err == nil || !strings.Contains(err.Error(), "ReceiptHandleIsInvalid") {
		t.Fatalf("a refused action: %v", err)
	}
	<-got
}
