package mail

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// SESClient is the part of the SES v2 API the sender uses.
type SESClient interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SES sends messages through Amazon SES as raw RFC 5322 messages.
type SES struct{ Client SESClient }

// Send implements Outbox.
func (s SES) Send(ctx context.Context, m Message) error {
	raw, err := Render(m, time.Now())
	if err != nil {
		return err
	}
	_, err = s.Client.SendEmail(ctx, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: raw}}})
	return err
}
