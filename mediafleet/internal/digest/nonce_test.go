package digest

import (
	"strings"
	"testing"
	"time"
)

func TestNonce(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	n := NewNonces([]byte("the fleet's shared secret"), 5*time.Minute)
	other := NewNonces([]byte("another deployment's secret"), 5*time.Minute)
	nonce := n.Mint(now)
	if len(nonce) != nonceLen || strings.ContainsAny(nonce, `"\,= `) {
		t.Fatalf("nonce %q: want %d URL-safe characters", nonce, nonceLen)
	}
	if again := n.Mint(now); again == nonce {
		t.Error("two nonces minted in the same second are equal")
	}
	flip := []byte(nonce)
	flip[len(flip)/2] ^= 1
	tests := []struct {
		name  string
		n     *Nonces
		nonce string
		at    time.Time
		want  NonceState
	}{
		{"fresh", n, nonce, now, NonceValid},
		{"another node with the same secret", NewNonces([]byte("the fleet's shared secret"), 5*time.Minute), nonce, now, NonceValid},
		{"at the end of its life", n, nonce, now.Add(5 * time.Minute), NonceValid},
		{"expired", n, nonce, now.Add(5*time.Minute + time.Second), NonceStale},
		{"from a clock slightly ahead", n, nonce, now.Add(-MaxClockSkew), NonceValid},
		{"from the future", n, nonce, now.Add(-MaxClockSkew - time.Second), NonceInvalid},
		{"another secret", other, nonce, now, NonceInvalid},
		{"tampered", n, string(flip), now, NonceInvalid},
		{"truncated", n, nonce[:len(nonce)-1], now, NonceInvalid},
		{"not base64", n, strings.Repeat("*", nonceLen), now, NonceInvalid},
		{"empty", n, "", now, NonceInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.n.Check(tt.nonce, tt.at); got != tt.want {
				t.Errorf("check = %d, want %d", got, tt.want)
			}
		})
	}
	allocs := testing.AllocsPerRun(100, func() { n.Check(nonce, now) })
	if allocs != 0 && !raceEnabled {
		t.Errorf("check allocates %v times", allocs)
	}
}
