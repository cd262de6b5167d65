package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/shared/account"
)

// readme:begin

// verify checks a Switchboard webhook request: the HMAC-SHA256 of the
// timestamp header, a dot and the raw body, keyed with the signing secret,
// and a timestamp within five minutes (no replays of old requests).
func verify(secret string, r *http.Request, body []byte) bool {
	ts := r.Header.Get("X-Switchboard-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(sec, 0)).Seconds()) > 300 {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(r.Header.Get("X-Switchboard-Signature")))
}

// readme:end

// TestVerifySnippet runs the snippet of the README against requests the
// client signs: a signed one passes, a changed body or a wrong secret do
// not.
func TestVerifySnippet(t *testing.T) {
	const secret = "sbw_0123456789abcdefghijklmnopqrstuvwxyz0123456789ab"
	type seen struct {
		ok      bool
		eventID string
	}
	got := make(chan seen, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Tamper") != "" {
			body = append(body, '&')
		}
		got <- seen{verify(secret, r, body), r.Header.Get(webhook.HeaderEventID)}
	}))
	defer srv.Close()
	body := webhook.Message{Event: webhook.EventHangup, EventID: "ev1", CallID: "c1", Cause: webhook.CauseBusy}.Form()
	c := webhook.NewClient(0, account.URLPolicy{})
	req := webhook.Request{Body: body, ContentType: webhook.ContentTypeForm, EventID: "ev1", Secret: []byte(secret), Time: time.Now()}
	if r := c.Post(context.Background(), srv.URL, req); !r.OK() {
		t.Fatal(r.Error())
	}
	if s := <-got; !s.ok || s.eventID != "ev1" {
		t.Fatalf("a signed request: verified %v, event id %q", s.ok, s.eventID)
	}
	req.Secret = []byte("sbw_another")
	c.Post(context.Background(), srv.URL, req)
	if s := <-got; s.ok {
		t.Fatal("a request signed with another secret verified")
	}
	req.Secret, req.Time = []byte(secret), time.Now().Add(-time.Hour)
	c.Post(context.Background(), srv.URL, req)
	if s := <-got; s.ok {
		t.Fatal("an hour-old request verified")
	}
}

// TestReadmeSnippet checks that the README shows the snippet tested here.
func TestReadmeSnippet(t *testing.T) {
	src, err := os.ReadFile("verify_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := bytes.Cut(src, []byte("// readme:begin\n\n"))
	snippet, _, _ := bytes.Cut(rest, []byte("\n// readme:end"))
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Webhooks\n")
	if !ok {
		t.Fatal("README.md has no section Webhooks")
	}
	if !strings.Contains(section, string(snippet)) {
		t.Errorf("the README's Webhooks section does not show the tested snippet:\n%s", snippet)
	}
}
