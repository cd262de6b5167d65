package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got: %s\nwant: %s", name, got, want)
	}
}

var (
	ada   = User{Name: "Ada Admin", ID: "w0", FullID: "1234567w0"}
	bob   = User{Name: "Bob Bäcker", ID: "w1", FullID: "1234567w1"}
	carla = User{Name: "Carla & Co", ID: "w2", FullID: "1234567w2"}
)

// messages are one of each body, with the cases the format treats
// specially: one user still in the array form, a group call with a
// diversion, an anonymous caller, answered and unanswered hangups.
var messages = map[string]Message{
	"newCall": {Event: EventNewCall, EventID: "ev1", CallID: "c1", OrigCallID: "c1", XCID: "c1", Direction: "in",
		From: "4930123456", To: "492111234567", Users: []User{ada}},
	"newCall-group": {Event: EventNewCall, EventID: "ev2", CallID: "c2", OrigCallID: "c1", XCID: "x1", Direction: "in",
		From: "anonymous", To: "492111234568", Users: []User{ada, bob, carla}, Diversion: "492111234567"},
	"newCall-out": {Event: EventNewCall, EventID: "ev3", CallID: "c3", OrigCallID: "c3", XCID: "c3", Direction: "out",
		From: "492111234567", To: "4915112345678", Users: []User{bob}},
	"answer": {Event: EventAnswer, EventID: "ev4", CallID: "c1", Direction: "in", From: "4930123456", To: "492111234567",
		Users: []User{bob}, AnsweringNumber: "492111234567"},
	"hangup": {Event: EventHangup, EventID: "ev5", CallID: "c1", Direction: "in", From: "4930123456", To: "492111234567",
		Cause: CauseNormalClearing, AnsweringNumber: "492111234567",
		AnswerTime: time.Date(2030, 1, 2, 9, 30, 0, 0, time.UTC), Duration: 75},
	"hangup-cancel": {Event: EventHangup, EventID: "ev6", CallID: "c2", Direction: "in", From: "anonymous", To: "492111234568",
		Cause: CauseCancel, Diversion: "492111234567"},
	"dtmf": {Event: EventDTMF, EventID: "ev7", CallID: "c1", DTMF: "42"},
	"test": {Event: EventTest, EventID: "test-1"},
}

func TestBodiesGolden(t *testing.T) {
	for name, m := range messages {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".form", m.Form())
			golden(t, name+".json", m.JSON())
			if !json.Valid(m.JSON()) {
				t.Errorf("JSON body is not valid JSON: %s", m.JSON())
			}
		})
	}
}

// TestFormFields reads the form bodies back as a consumer does and checks
// the compatible format's rules field by field.
func TestFormFields(t *testing.T) {
	parse := func(m Message) url.Values {
		v, err := url.ParseQuery(string(m.Form()))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := parse(messages["newCall"])
	for _, f := range []string{"user[]", "userId[]", "fullUserId[]"} {
		if len(v[f]) != 1 {
			t.Errorf("one user: %s = %q, want the array form with one entry", f, v[f])
		}
	}
	if v.Has("eventId") || v.Has("diversion") {
		t.Errorf("form newCall carries eventId or an empty diversion: %v", v)
	}
	v = parse(messages["newCall-group"])
	if got := v["fullUserId[]"]; len(got) != 3 || got[2] != "1234567w2" || v["user[]"][1] != "Bob Bäcker" || v["user[]"][2] != "Carla & Co" {
		t.Errorf("group call: %v", v)
	}
	if v.Get("diversion") != "492111234567" || v.Get("from") != "anonymous" || v.Get("origCallId") != "c1" {
		t.Errorf("group call: %v", v)
	}
	v = parse(messages["answer"])
	if v.Get("user") != "Bob Bäcker" || v.Get("userId") != "w1" || v.Get("fullUserId") != "1234567w1" || v.Has("user[]") {
		t.Errorf("answer names its user in the singular: %v", v)
	}
	v = parse(messages["hangup"])
	if v.Get("cause") != "normalClearing" || v.Get("duration") != "75" || v.Get("answerTime") != "2030-01-02T09:30:00Z" {
		t.Errorf("hangup: %v", v)
	}
	v = parse(messages["hangup-cancel"])
	if v.Get("duration") != "0" || v.Has("answerTime") || !v.Has("answeringNumber") {
		t.Errorf("unanswered hangup: %v", v)
	}
}

func TestJSONTypes(t *testing.T) {
	var newCall struct {
		EventID    string   `json:"eventId"`
		User       []string `json:"user"`
		FullUserID []string `json:"fullUserId"`
	}
	if err := json.Unmarshal(messages["newCall-group"].JSON(), &newCall); err != nil {
		t.Fatal(err)
	}
	if newCall.EventID != "ev2" || len(newCall.User) != 3 || newCall.FullUserID[0] != "1234567w0" {
		t.Errorf("newCall JSON: %+v", newCall)
	}
	var hangup struct {
		Duration   int       `json:"duration"`
		AnswerTime time.Time `json:"answerTime"`
	}
	if err := json.Unmarshal(messages["hangup"].JSON(), &hangup); err != nil {
		t.Fatal(err)
	}
	if hangup.Duration != 75 || !hangup.AnswerTime.Equal(time.Date(2030, 1, 2, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("hangup JSON: %+v", hangup)
	}
	empty := Message{Event: EventNewCall, EventID: "e", CallID: "c"}
	if !bytes.Contains(empty.JSON(), []byte(`"user":[]`)) {
		t.Errorf("a call that reaches nobody: %s, want empty arrays", empty.JSON())
	}
}

func TestSign(t *testing.T) {
	secret := []byte("sbw_test")
	body := messages["answer"].Form()
	sig := Sign(secret, 1700000000, body)
	now := time.Unix(1700000060, 0)
	cases := []struct {
		name      string
		ts, sig   string
		body      []byte
		tolerance time.Duration
		want      error
	}{
		{"valid", "1700000000", sig, body, 5 * time.Minute, nil},
		{"changed body", "1700000000", sig, append([]byte("x"), body...), 5 * time.Minute, ErrSignature},
		{"changed timestamp", "1700000001", sig, body, 5 * time.Minute, ErrSignature},
		{"stale", "1700000000", sig, body, 30 * time.Second, ErrStale},
		{"garbage timestamp", "soon", sig, body, 5 * time.Minute, ErrSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(secret, tc.ts, tc.sig, tc.body, now, tc.tolerance)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
	if len(sig) != 64 {
		t.Errorf("signature %q is not hex SHA-256", sig)
	}
}
