package secret

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// KMSClient is the part of the KMS API the wrapper uses.
type KMSClient interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// KMS wraps data keys with a KMS key on AWS.
type KMS struct {
	Client KMSClient
	KeyID  string
}

var kmsContext = map[string]string{"purpose": "switchboard data key"}

// Wrap implements Wrapper.
func (k KMS) Wrap(ctx context.Context, dataKey []byte) ([]byte, error) {
	out, err := k.Client.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(k.KeyID), Plaintext: dataKey, EncryptionContext: kmsContext})
	if err != nil {
		return nil, err
	}
	return out.CiphertextBlob, nil
}

// Unwrap implements Wrapper.
func (k KMS) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	out, err := k.Client.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(k.KeyID), CiphertextBlob: wrapped, EncryptionContext: kmsContext})
	if err != nil {
		return nil, err
	}
	return out.Plaintext, nil
}
