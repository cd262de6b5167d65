package registrar

import (
	"strings"
	"testing"
	"time"
)

func TestNonce(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	n := newNonces([]byte("the fleet's shared secret"), 5*time.Minute)
	other := newNonces([]byte("another deployment's secret"), 5*time.Minute)
	nonce := n.mint(now)
	if len(nonce) != nonceLen || strings.ContainsAny(nonce, `"\,= `) {
		t.Fatalf("nonce %q: want %d URL-safe characters", nonce, nonceLen)
	}
	if again := n.mint(now); again == nonce {
		t.Error("two nonces minted in the same second are equal")
	}
	flip := []byte(nonce)
	flip[len(flip)/2] ^= 1
	tests := []struct {
		name  string
		n     *nonces
		nonce string
		at    time.Time
		want  nonceState
	}{
		{"fresh", n, nonce, now, nonceValid},
		{"another node with the same secret", newNonces([]byte("the fleet's shared secret"), 5*time.Minute), nonce, now, nonceValid},
		{"at the end of its life", n, nonce, now.Add(5 * time.Minute), nonceValid},
		{"expired", n, nonce, now.Add(5*time.Minute + time.Second), nonceStale},
		{"from a clock slightly ahead", n, nonce, now.Add(-maxClockSkew), nonceValid},
		{"from the future", n, nonce, now.Add(-maxClockSkew - time.Second), nonceInvalid},
		{"another secret", other, nonce, now, nonceInvalid},
		{"tampered", n, string(flip), now, nonceInvalid},
		{"truncated", n, nonce[:len(nonce)-1], now, nonceInvalid},
		{"not base64", n, strings.Repeat("*", nonceLen), now, nonceInvalid},
		{"empty", n, "", now, nonceInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.n.check(tt.nonce, tt.at); got != tt.want {
				t.Errorf("check = %d, want %d", got, tt.want)
			}
		})
	}
	allocs := testing.AllocsPerRun(100, func() { n.check(nonce, now) })
	if allocs != 0 && !raceEnabled {
		t.Errorf("check allocates %v times", allocs)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l := newLimiter(3, time.Minute, 5*time.Minute, 2)
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
			l.fail(s.fail, at)
		}
		if s.reset != "" {
			l.reset(s.reset, at)
		}
		for k, want := range s.wantBlocked {
			if got := l.blocked(k, at); got != want {
				t.Errorf("%s: blocked(%s) = %v, want %v", s.name, k, got, want)
			}
		}
	}
	l.prune(now.Add(time.Hour))
	if len(l.keys) != 0 {
		t.Errorf("%d keys left after prune", len(l.keys))
	}
}
