package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// nonceLabel is the fixed message the nonce key is derived with. Changing
// it changes every node's key: nodes of two versions would reject each
// other's nonces until all run the same one.
const nonceLabel = "switchboard fleet digest nonce key v1"

// nonceKey derives the HMAC key of the digest nonces from the fleet
// secret. Every node holds the same secret, so every node verifies every
// other node's nonces, and the secret itself keys nothing else directly.
func nonceKey(secret string) ([]byte, error) {
	if len(secret) < minSecret {
		return nil, fmt.Errorf("fleet secret: want at least %d characters", minSecret)
	}
	return derive(secret, nonceLabel), nil
}

// peerLabel names the key of the header nodes pass each other calls
// with, derived from the fleet secret like the nonce key.
const peerLabel = "switchboard fleet peer call key v1"

// peerKey derives that key.
func peerKey(secret string) []byte { return derive(secret, peerLabel) }

// derive is HMAC-SHA256(secret, label): one key per purpose from the
// one secret.
func derive(secret, label string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(label))
	return m.Sum(nil)
}

// secretReader is the part of Secrets Manager the service uses.
type secretReader interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// fetchSecret reads the fleet secret's SecretString.
func fetchSecret(ctx context.Context, sm secretReader, arn string) (string, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("fleet secret %s: %w", arn, err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return "", errors.New("fleet secret " + arn + ": no SecretString")
	}
	return *out.SecretString, nil
}
