package secret

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyFile is the local stack's key-encryption key: 32 random bytes in a
// file readable only by its owner, created on first use.
type KeyFile struct{ key []byte }

// OpenKeyFile reads the key at path, creating it when there is none.
func OpenKeyFile(path string) (*KeyFile, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("secret: key file: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret: create key file: %w", err)
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, fmt.Errorf("secret: write key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		return &KeyFile{key: key}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret: read key file: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret: key file %s: want 32 bytes, found %d", path, len(key))
	}
	return &KeyFile{key: key}, nil
}

// Wrap implements Wrapper.
func (k *KeyFile) Wrap(_ context.Context, dataKey []byte) ([]byte, error) {
	return gcmSeal(k.key, nil, dataKey, []byte("switchboard data key"))
}

// Unwrap implements Wrapper.
func (k *KeyFile) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	return gcmOpen(k.key, wrapped, []byte("switchboard data key"))
}
