package secret

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestEnvelopeWithKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "secret.key")
	kf, err := OpenKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	ctx := context.Background()
	env := Envelope{KEK: kf}
	sealed, err := env.Seal(ctx, []byte("s3cret-sip-password"), []byte("1234567e0"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	// The same key file, reopened, opens it.
	kf2, err := OpenKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Envelope{KEK: kf2}.Open(ctx, sealed, []byte("1234567e0"))
	if err != nil || string(got) != "s3cret-sip-password" {
		t.Fatalf("open: %q, %v", got, err)
	}
	// Another device id, a flipped bit, another key: refused.
	if _, err := env.Open(ctx, sealed, []byte("1234567e1")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("other aad: %v", err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	if _, err := env.Open(ctx, flipped, []byte("1234567e0")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped bit: %v", err)
	}
	other, _ := OpenKeyFile(filepath.Join(t.TempDir(), "other.key"))
	if _, err := (Envelope{KEK: other}).Open(ctx, sealed, []byte("1234567e0")); err == nil {
		t.Fatal("another key opened the secret")
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0, 0}, {1, 0xFF, 0xFF, 1}} {
		if _, err := env.Open(ctx, bad, nil); err == nil {
			t.Fatalf("Open(%v) succeeded", bad)
		}
	}
}

func TestKeyFileRejectsWrongSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "short.key")
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyFile(path); err == nil {
		t.Fatal("short key file accepted")
	}
}
