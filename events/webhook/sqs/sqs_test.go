package sqs

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/switchboard/switchboard/events"
)

// request is one action as the test server saw it.
type request struct {
	method, path, contentType, target, auth string
	body                                    map[string]any
}

// server stands in for SQS on loopback (there is no SQS to run here). It
// speaks the AWS JSON 1.0 protocol the SDK uses: one POST to / per action,
// named by the X-Amz-Target header, with a JSON body and a JSON answer or
// a JSON fault. Like SQS, it answers SendMessage with the MD5 digest of
// the body it received, and refuses a receipt handle it does not know.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
	badMD5   bool // answer SendMessage with a wrong digest
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	req := request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization"), body}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	badMD5 := s.badMD5
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-RequestId", "req-1")
	switch req.target {
	case "AmazonSQS.SendMessage":
		msg, _ := body["MessageBody"].(string)
		sum := md5.Sum([]byte(msg))
		if badMD5 {
			sum[0] ^= 0xff
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": "m-1", "MD5OfMessageBody": hex.EncodeToString(sum[:])})
	case "AmazonSQS.ChangeMessageVisibility":
		if body["ReceiptHandle"] == "unknown" {
			fault(w, "ReceiptHandleIsInvalid", "The input receipt handle is invalid.")
			return
		}
		_, _ = w.Write([]byte(`{}`))
	default:
		fault(w, "UnsupportedOperation", "unknown action "+req.target)
	}
}

func fault(w http.ResponseWriter, code, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

// take returns the requests received since the last call.
func (s *server) take() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.requests
	s.requests = nil
	return out
}

func testConfig() aws.Config {
	return aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
}

// one returns the only request of reqs, checking the protocol's envelope.
func one(t *testing.T, reqs []request, target string) request {
	t.Helper()
	if len(reqs) != 1 {
		t.Fatalf("server received %d requests, want one %s: %+v", len(reqs), target, reqs)
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/" || r.target != target || r.contentType != "application/x-amz-json-1.0" {
		t.Errorf("request %s %s target %q type %q, want POST / target %q, AWS JSON 1.0", r.method, r.path, r.target, r.contentType, target)
	}
	if !strings.HasPrefix(r.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(r.auth, "/eu-central-1/sqs/aws4_request") {
		t.Errorf("signature %q, want SigV4 for sqs in eu-central-1", r.auth)
	}
	return r
}

var hangup = events.Event{ID: "ev1", Type: events.Hangup, Account: "1234567", Time: time.Unix(1700000000, 0).UTC(),
	Call: &events.Call{ID: "c1", Direction: "in", From: "+4930123456", To: "+492111234567", Cause: "busy"}}

func TestPublish(t *testing.T) {
	srv := newServer(t)
	queueURL := srv.URL + "/123456789012/switchboard-webhooks"
	q, err := New(testConfig(), queueURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("queued event", func(t *testing.T) {
		if err := q.Publish(ctx, hangup); err != nil {
			t.Fatal(err)
		}
		r := one(t, srv.take(), "AmazonSQS.SendMessage")
		if r.body["QueueUrl"] != queueURL {
			t.Errorf("QueueUrl = %v, want %s", r.body["QueueUrl"], queueURL)
		}
		var sent events.Event
		if err := json.Unmarshal([]byte(r.body["MessageBody"].(string)), &sent); err != nil || sent.ID != "ev1" || sent.Call.Cause != "busy" {
			t.Errorf("MessageBody = %v (%v), want the hangup event", r.body["MessageBody"], err)
		}
	})
	t.Run("events webhooks do not deliver", func(t *testing.T) {
		newCall := hangup
		newCall.Type = events.NewCall
		emergency := hangup
		emergency.Call = &events.Call{ID: "c2", Direction: "out", To: "112"}
		for _, ev := range []events.Event{newCall, emergency} {
			if err := q.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		if reqs := srv.take(); len(reqs) != 0 {
			t.Errorf("sent %+v, want nothing", reqs)
		}
	})
	t.Run("digest mismatch", func(t *testing.T) {
		srv.mu.Lock()
		srv.badMD5 = true
		srv.mu.Unlock()
		defer func() { srv.mu.Lock(); srv.badMD5 = false; srv.mu.Unlock() }()
		if err := q.Publish(ctx, hangup); err == nil || !strings.Contains(err.Error(), "ev1") {
			t.Errorf("error = %v, want a failed send of ev1", err)
		}
		srv.take()
	})
}

func TestChangeVisibility(t *testing.T) {
	srv := newServer(t)
	queueURL := srv.URL + "/123456789012/switchboard-webhooks"
	q, err := New(testConfig(), queueURL)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		d    time.Duration
		want float64
	}{
		{"backoff", 90 * time.Second, 90},
		{"capped at 12 h", 48 * time.Hour, 43200},
		{"negative is now", -time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := q.ChangeVisibility(context.Background(), "handle-1", tc.d); err != nil {
				t.Fatal(err)
			}
			r := one(t, srv.take(), "AmazonSQS.ChangeMessageVisibility")
			if r.body["QueueUrl"] != queueURL || r.body["ReceiptHandle"] != "handle-1" || r.body["VisibilityTimeout"] != tc.want {
				t.Errorf("body = %v, want queue %s, handle-1, %v s", r.body, queueURL, tc.want)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		err := q.ChangeVisibility(context.Background(), "unknown", time.Minute)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ReceiptHandleIsInvalid" {
			t.Fatalf("error = %v, want the service's ReceiptHandleIsInvalid", err)
		}
		// A client error is not retried.
		one(t, srv.take(), "AmazonSQS.ChangeMessageVisibility")
	})
}

// TestEndpoint checks where requests go: to the queue URL's host, unless
// the configuration names an endpoint.
func TestEndpoint(t *testing.T) {
	srv := newServer(t)
	cfg := testConfig()
	cfg.BaseEndpoint = aws.String(srv.URL)
	// Nothing listens at the queue URL's host; the configured endpoint wins.
	queueURL := "http://127.0.0.1:1/123456789012/switchboard-webhooks"
	q, err := New(cfg, queueURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(context.Background(), hangup); err != nil {
		t.Fatal(err)
	}
	if r := one(t, srv.take(), "AmazonSQS.SendMessage"); r.body["QueueUrl"] != queueURL {
		t.Errorf("QueueUrl = %v, want %s", r.body["QueueUrl"], queueURL)
	}
}

func TestNewRejects(t *testing.T) {
	cases := []struct {
		name string
		cfg  aws.Config
		url  string
		want string
	}{
		{"relative URL", testConfig(), "/123456789012/q", "queue URL"},
		{"no URL", testConfig(), "", "queue URL"},
		{"no region", aws.Config{Credentials: testConfig().Credentials}, "https://sqs.eu-central-1.amazonaws.com/1/q", "region"},
		{"no credentials", aws.Config{Region: "eu-central-1"}, "https://sqs.eu-central-1.amazonaws.com/1/q", "credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg, tc.url); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one about %s", err, tc.want)
			}
		})
	}
}
