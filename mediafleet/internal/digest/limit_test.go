package digest

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute, 5*time.Minute, 2)
	steps := []struct {
		name        string
		at          time.Duration
		fail        string
		reset       string
		wantBlocked map[string]bool
	}{
		{name: "first failure", fail: "a", wantBlocked: map[string]bool{"a": false}},
		{name: "second", at: time.Second, fail: "a", wantBlocked: map[string]bool{"a": false}},
		{name: "window over: counting restarts", at: 61 * time.Second, fail: "a", wantBlocked: map[string]bool{"a": false}},
		{name: "2 in window", at: 62 * time.Second, fail: "a", wantBlocked: map[string]bool{"a": false}},
		{name: "3 in window: blocked", at: 63 * time.Second, fail: "a", wantBlocked: map[string]bool{"a": true}},
		{name: "reset does not lift a block", at: 64 * time.Second, reset: "a", wantBlocked: map[string]bool{"a": true}},
		{name: "other key", at: 64 * time.Second, fail: "b", wantBlocked: map[string]bool{"a": true, "b": false}},
		{name: "full: a third key goes uncounted", at: 64 * time.Second, fail: "c", wantBlocked: map[string]bool{"c": false}},
		{name: "block over", at: 63*time.Second + 5*time.Minute, wantBlocked: map[string]bool{"a": false}},
		{name: "reset forgets", at: 63*time.Second + 5*time.Minute, reset: "b", wantBlocked: map[string]bool{"b": false}},
	}
	for _, s := range steps {
		at := now.Add(s.at)
		if s.fail != "" {
			l.Fail(s.fail, at)
		}
		if s.reset != "" {
			l.Reset(s.reset, at)
		}
		for k, want := range s.wantBlocked {
			if got := l.Blocked(k, at); got != want {
				t.Errorf("%s: Blocked(%s) = %v, want %v", s.name, k, got, want)
			}
		}
	}
	l.Prune(now.Add(time.Hour))
	if len(l.keys) != 0 {
		t.Errorf("%d keys left after prune", len(l.keys))
	}
}
