package webhook

import (
	"net/url"
	"testing"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
)

// A leg a forwarding rule started names the first leg as origCallId and
// xcid and the number first dialled as diversion, in every event.
func TestForwardedLeg(t *testing.T) {
	dir := account.Directory{Users: map[string]string{"w1": "Ada"}, Devices: map[string]string{"1234567e1": "w1"}}
	call := &events.Call{ID: "leg-2", Direction: "in", From: "+4930123", To: "+492111234561", Users: []string{"1234567w1"},
		Answered: "1234567e1", Cause: "calleeHangup", OrigID: "leg-1", Diversion: "+492111234560"}
	for _, typ := range []events.Type{events.NewCall, events.Answer, events.Hangup} {
		m := message(events.Event{ID: "ev", Type: typ, Account: "1234567", Time: time.Now(), Call: call}, dir, nil)
		v, err := url.ParseQuery(string(m.Form()))
		if err != nil {
			t.Fatal(err)
		}
		if v.Get("diversion") != "492111234560" || v.Get("callId") != "leg-2" {
			t.Errorf("%s: %s", typ, m.Form())
		}
		if typ == events.NewCall && (v.Get("origCallId") != "leg-1" || v.Get("xcid") != "leg-1") {
			t.Errorf("newCall: %s", m.Form())
		}
	}
	first := message(events.Event{ID: "ev", Type: events.Hangup, Account: "1234567", Time: time.Now(),
		Call: &events.Call{ID: "leg-1", Direction: "in", From: "+4930123", To: "+492111234560", Cause: "forwarded"}}, dir, nil)
	if v, _ := url.ParseQuery(string(first.Form())); v.Get("cause") != "forwarded" || v.Has("diversion") {
		t.Errorf("first leg's hangup: %s", first.Form())
	}
}
