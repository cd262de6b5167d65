package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/store/embedded"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct hors", false}, {"", false}, {"Correct horse", false}} {
		ok, err := CheckPassword(h, tc.pw)
		if err != nil || ok != tc.want {
			t.Fatalf("CheckPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=8,t=1,p=1$!!$aGFzaA"} {
		if _, err := CheckPassword(bad, "x"); !errors.Is(err, ErrBadHash) {
			t.Fatalf("CheckPassword(%q): %v, want ErrBadHash", bad, err)
		}
	}
}

func TestCredential(t *testing.T) {
	c := NewCredential()
	b := c.Bearer(PrefixToken)
	prefix, id, secret, ok := ParseBearer(b)
	if !ok || prefix != PrefixToken || id != c.ID || secret != c.Secret {
		t.Fatalf("ParseBearer(%q) = %q %q %q %v", b, prefix, id, secret, ok)
	}
	if !SecretMatches(c.Hash, c.Secret) || SecretMatches(c.Hash, c.Secret+"x") {
		t.Fatal("secret comparison wrong")
	}
	if strings.Contains(c.Hash, c.Secret) {
		t.Fatal("hash contains the secret")
	}
	for _, bad := range []string{"", "abc", "sbt__x", "sbt_x_", "a_b_c_d", strings.Repeat("a", 199) + "_b_c"} {
		if _, _, _, ok := ParseBearer(bad); ok {
			t.Fatalf("ParseBearer(%q) accepted", bad)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(t.TempDir(), "t.db"), Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := Limiter{Store: db, Name: "login", Limit: 3, Window: time.Minute, Clock: func() time.Time { return now }}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := l.Allow(ctx, "ada@example.com"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if err := l.Allow(ctx, "ada@example.com"); !errors.Is(err, ErrLimited) {
		t.Fatalf("4th attempt: %v, want ErrLimited", err)
	}
	// Another key has its own count; the next window starts afresh.
	if err := l.Allow(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if err := l.Allow(ctx, "ada@example.com"); err != nil {
		t.Fatalf("next window: %v", err)
	}
}
