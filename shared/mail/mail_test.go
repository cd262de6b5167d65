package mail

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFolderWritesReadableMessages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	f := Folder{Dir: dir}
	m := Message{From: "Switchboard <noreply@switchboard.local>", To: "Jürgen Groß <j@example.com>",
		Subject: "Willkommen bei Switchboard", Body: "Hallo Jürgen,\nbitte Passwort setzen: http://127.0.0.1:8080/#/setup?t=abc\n"}
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox has %v", files)
	}
	raw, _ := os.Open(files[0])
	defer raw.Close()
	msg, err := mail.ReadMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if to, _ := msg.Header.AddressList("To"); len(to) != 1 || to[0].Address != "j@example.com" || to[0].Name != "Jürgen Groß" {
		t.Fatalf("To %v", to)
	}
	dec := new(mime.WordDecoder)
	if subj, _ := dec.DecodeHeader(msg.Header.Get("Subject")); subj != m.Subject {
		t.Fatalf("subject %q", subj)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if !strings.Contains(string(body), "Hallo Jürgen,\r\nbitte Passwort setzen: http://127.0.0.1:8080/#/setup?t=abc") {
		t.Fatalf("body %q", body)
	}
}

func TestRenderRefusesHeaderInjection(t *testing.T) {
	for _, m := range []Message{
		{From: "a@b.c", To: "x@y.z", Subject: "hi\r\nBcc: evil@example.com"},
		{From: "a@b.c", To: "not an address"},
		{From: "", To: "x@y.z"},
	} {
		if _, err := Render(m, time.Now()); err == nil {
			t.Fatalf("Render(%+v) accepted", m)
		}
	}
}
