// Package mail sends Switchboard's e-mails (a new user's access data, the
// address verification form) through an outbox port: the local stack
// writes each message as an .eml file under its data folder, AWS sends
// through SES. Messages are built here as RFC 5322 text, so both shapes
// send the same bytes.
//
// It is not a mail server and never receives mail.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Message is one e-mail in plain text.
type Message struct {
	From    string // address; display name allowed
	To      string
	Subject string
	Body    string
}

// Outbox sends messages.
type Outbox interface {
	Send(ctx context.Context, m Message) error
}

// Render returns the message as RFC 5322 text with a quoted-printable
// UTF-8 body.
func Render(m Message, now time.Time) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", m.From, err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: to %q: %w", m.To, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: subject has a line break")
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@switchboard>\r\n", hex.EncodeToString(id))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Folder is the local outbox: one .eml file per message.
type Folder struct {
	Dir   string
	Clock func() time.Time
}

// Send implements Outbox.
func (f Folder) Send(_ context.Context, m Message) error {
	now := time.Now()
	if f.Clock != nil {
		now = f.Clock()
	}
	raw, err := Render(m, now)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := fmt.Sprintf("%s-%s.eml", now.UTC().Format("20060102T150405.000000000Z"), hex.EncodeToString(suffix))
	tmp := filepath.Join(f.Dir, "."+name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	return os.Rename(tmp, filepath.Join(f.Dir, name))
}
