package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
	"github.com/switchboard/switchboard/mediafleet/internal/testlog"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
)

// taken records the batches a handler hands on.
type taken struct {
	mu  sync.Mutex
	got [][]change.Notification
}

func (r *taken) Apply(_ context.Context, batch []change.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, batch)
	return nil
}

func TestHandler(t *testing.T) {
	dev := fixture.Phone(acct, acct+"e0", "w0", realm, "pw")
	good, err := json.Marshal(fleet.Push{First: seq(1), Last: seq(1), Notifications: []change.Notification{deviceNote(1, dev, false)}})
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"first":"1","last":"1","notifications":[],"pad":"` + strings.Repeat("x", fleet.MaxPushBytes) + `"}`
	tests := []struct {
		name, method, body string
		want               int
		applied            bool
	}{
		{"push", http.MethodPost, string(good), http.StatusNoContent, true},
		{"empty push", http.MethodPost, `{"first":"","last":"","notifications":[]}`, http.StatusNoContent, true},
		{"get", http.MethodGet, "", http.StatusMethodNotAllowed, false},
		{"not json", http.MethodPost, `{"first":`, http.StatusBadRequest, false},
		{"empty body", http.MethodPost, ``, http.StatusBadRequest, false},
		{"wrong types", http.MethodPost, `{"notifications":"device"}`, http.StatusBadRequest, false},
		{"two objects", http.MethodPost, string(good) + string(good), http.StatusBadRequest, false},
		{"kind without entity", http.MethodPost, `{"notifications":[{"Sequence":"1","Kind":"device"}]}`, http.StatusBadRequest, false},
		{"probe", http.MethodPost, `{"notifications":[{"Sequence":"1","Kind":"probe","Probe":{"ID":"p1"}}]}`, http.StatusNoContent, true},
		{"probe without entity", http.MethodPost, `{"notifications":[{"Sequence":"1","Kind":"probe"}]}`, http.StatusBadRequest, false},
	}
	sink := &taken{}
	srv := httptest.NewServer(fleet.Handler(sink, testlog.New(t)))
	t.Cleanup(srv.Close)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sink.got)
			req, err := http.NewRequestWithContext(testCtx(t), tt.method, srv.URL+model.SyncPath, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if applied := len(sink.got) > before; applied != tt.applied {
				t.Errorf("applied %v, want %v", applied, tt.applied)
			}
		})
	}
	// A body over the limit is refused. Over a connection, the client
	// may see the server close it before it has sent the whole body, so
	// this case goes to the handler directly.
	before := len(sink.got)
	w := httptest.NewRecorder()
	fleet.Handler(sink, testlog.New(t)).ServeHTTP(w, httptest.NewRequest(http.MethodPost, model.SyncPath, strings.NewReader(huge)))
	if w.Code != http.StatusBadRequest || len(sink.got) != before {
		t.Errorf("body over the limit: %d, handed on %d batches", w.Code, len(sink.got)-before)
	}

	// A kind this node does not know is left out, not refused: a push
	// from a newer streamsync must not make the node resync.
	before = len(sink.got)
	resp, err := http.Post(srv.URL+model.SyncPath, "application/json",
		strings.NewReader(`{"notifications":[{"Sequence":"1","Kind":"binding"},{"Sequence":"2","Kind":"group","Group":{"ID":"g1"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(sink.got) != before+1 || len(sink.got[before]) != 1 || sink.got[before][0].Kind != change.KindGroup {
		t.Errorf("push with an unknown kind: %d, handed on %+v", resp.StatusCode, sink.got[before:])
	}
	if got := sink.got[0]; len(got) != 1 || got[0].Device == nil || got[0].Device.HA1MD5 != dev.HA1MD5 || got[0].Device.Version != dev.Version {
		t.Errorf("decoded push %+v", got)
	}
}

// FuzzHandler: whatever the body, the endpoint answers 204 or 400 and
// hands on only notifications that carry their entity.
func FuzzHandler(f *testing.F) {
	dev := fixture.Phone(acct, acct+"e0", "w0", realm, "pw")
	good, _ := json.Marshal(fleet.Push{First: seq(1), Last: seq(1), Notifications: []change.Notification{deviceNote(1, dev, false)}})
	f.Add(good)
	f.Add([]byte(`{"notifications":[{"Kind":"user","User":{"ID":"w0"}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sink := &taken{}
		h := fleet.Handler(sink, testlog.New(t))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, model.SyncPath, bytes.NewReader(body)))
		if w.Code != http.StatusNoContent && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d", w.Code)
		}
		for _, b := range sink.got {
			for _, n := range b {
				if n.Device == nil && n.User == nil && n.Group == nil && n.Number == nil && n.AccountItem == nil && n.Probe == nil {
					t.Fatalf("notification without entity handed on: %+v", n)
				}
			}
		}
	})
}
