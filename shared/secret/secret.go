// Package secret seals small secrets that must be shown again later (a
// phone's SIP password, shown to the admin in the console) with envelope
// encryption: each secret gets its own random data key (AES-256-GCM), and
// the data key is wrapped by a key-encryption key that never leaves its
// keeper: a local key file in the local stack, KMS on AWS.
//
// It is not for passwords people log in with (those are hashed, package
// auth) and not for anything the fleet needs (it gets HA1 digests only).
package secret

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// Wrapper wraps and unwraps data keys with a key-encryption key.
type Wrapper interface {
	Wrap(ctx context.Context, dataKey []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// Envelope seals secrets under a Wrapper.
type Envelope struct{ KEK Wrapper }

// ErrCorrupt says a sealed value is damaged or was sealed for another
// context (the additional data differs).
var ErrCorrupt = errors.New("secret: sealed value is corrupt or belongs elsewhere")

const version = 1

// Seal encrypts plaintext bound to aad (for example the device id, so a
// sealed password cannot be moved to another device).
func (e Envelope) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	dataKey := make([]byte, 32)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("secret: data key: %w", err)
	}
	wrapped, err := e.KEK.Wrap(ctx, dataKey)
	if err != nil {
		return nil, fmt.Errorf("secret: wrap data key: %w", err)
	}
	if len(wrapped) > 0xFFFF {
		return nil, errors.New("secret: wrapped key too long")
	}
	out := []byte{version}
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	return gcmSeal(dataKey, out, plaintext, aad)
}

// Open decrypts what Seal sealed with the same aad.
func (e Envelope) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 3 || sealed[0] != version {
		return nil, ErrCorrupt
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	if len(sealed) < 3+n {
		return nil, ErrCorrupt
	}
	dataKey, err := e.KEK.Unwrap(ctx, sealed[3:3+n])
	if err != nil {
		return nil, fmt.Errorf("secret: unwrap data key: %w", err)
	}
	return gcmOpen(dataKey, sealed[3+n:], aad)
}

// gcmSeal appends nonce and ciphertext to dst.
func gcmSeal(key, dst, plaintext, aad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	dst = append(dst, nonce...)
	return gcm.Seal(dst, nonce, plaintext, aad), nil
}

func gcmOpen(key, sealed, aad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, ErrCorrupt
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, ErrCorrupt
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, ErrCorrupt
	}
	out, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}
