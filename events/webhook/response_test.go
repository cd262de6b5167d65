package webhook

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseResponse(t *testing.T) {
	cases := []struct {
		name string
		xml  string
		want *Response
	}{
		{"empty", `<Response/>`, &Response{}},
		{"declaration and comments", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- steer -->\n<Response>\n  <!-- nothing -->\n</Response>\n", &Response{}},
		{"callbacks", `<Response onAnswer="https://crm.example/answer" onHangup="http://crm.example/hangup?x=1&amp;y=2"/>`,
			&Response{OnAnswer: "https://crm.example/answer", OnHangup: "http://crm.example/hangup?x=1&y=2"}},
		{"dial two numbers", `<Response><Dial callerId="492111234567"><Number>+4915112345678</Number><Number> 4930123456 </Number></Dial></Response>`,
			&Response{Verb: Dial{CallerID: "492111234567", Numbers: []string{"4915112345678", "4930123456"}}}},
		{"dial anonymous", `<Response><Dial anonymous="true"><Number>21</Number></Dial></Response>`,
			&Response{Verb: Dial{Anonymous: true, Numbers: []string{"21"}}}},
		{"dial voicemail", `<Response><Dial><Voicemail/></Dial></Response>`, &Response{Verb: Dial{Voicemail: true}}},
		{"play", `<Response><Play><Url>https://crm.example/hello.wav</Url></Play></Response>`,
			&Response{Verb: Play{URL: "https://crm.example/hello.wav"}}},
		{"gather defaults", `<Response><Gather onData="https://crm.example/dtmf"/></Response>`,
			&Response{Verb: Gather{OnData: "https://crm.example/dtmf", MaxDigits: 1, Timeout: 2 * time.Second}}},
		{"gather with play", `<Response><Gather onData="https://crm.example/dtmf" maxDigits="4" timeout="5000"><Play><Url>https://crm.example/menu.wav</Url></Play></Gather></Response>`,
			&Response{Verb: Gather{OnData: "https://crm.example/dtmf", MaxDigits: 4, Timeout: 5 * time.Second, Play: &Play{URL: "https://crm.example/menu.wav"}}}},
		{"reject busy", `<Response><Reject reason="busy"/></Response>`, &Response{Verb: Reject{Reason: "busy"}}},
		{"reject default", `<Response><Reject/></Response>`, &Response{Verb: Reject{Reason: "rejected"}}},
		{"hangup", `<Response onHangup="https://crm.example/h"><Hangup/></Response>`, &Response{OnHangup: "https://crm.example/h", Verb: Hangup{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseResponse([]byte(tc.xml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
			again, err := ParseResponse(got.XML())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("written as %s and read back: %#v, %v", got.XML(), again, err)
			}
		})
	}
}

func TestParseResponseRefuses(t *testing.T) {
	cases := map[string]string{
		"not XML":            `busy`,
		"empty":              ``,
		"other root":         `<Reply/>`,
		"unknown verb":       `<Response><Transfer/></Response>`,
		"two verbs":          `<Response><Hangup/><Reject/></Response>`,
		"unknown attribute":  `<Response onRing="https://x.example"/>`,
		"verb attribute":     `<Response><Hangup now="1"/></Response>`,
		"text in response":   `<Response>hello</Response>`,
		"two roots":          `<Response/><Response/>`,
		"unclosed":           `<Response><Hangup/>`,
		"doctype":            `<!DOCTYPE Response [<!ENTITY x "y">]><Response/>`,
		"external entity":    `<!DOCTYPE Response [<!ENTITY x SYSTEM "file:///etc/passwd">]><Response onAnswer="&x;"/>`,
		"undefined entity":   `<Response onAnswer="https://x.example/&x;"/>`,
		"late declaration":   `<Response/><?xml version="1.0"?>`,
		"processing instr":   `<?php echo 1 ?><Response/>`,
		"namespace":          `<Response xmlns="urn:x"/>`,
		"prefixed attribute": `<Response xmlns:a="urn:x" a:onAnswer="https://x.example"/>`,
		"latin-1":            `<?xml version="1.0" encoding="ISO-8859-1"?><Response/>`,
		"six numbers":        `<Response><Dial>` + strings.Repeat(`<Number>4930123456</Number>`, 6) + `</Dial></Response>`,
		"dial nothing":       `<Response><Dial/></Response>`,
		"dial both":          `<Response><Dial><Number>21</Number><Voicemail/></Dial></Response>`,
		"dial letters":       `<Response><Dial><Number>0800-FLOWERS</Number></Dial></Response>`,
		"dial bad anonymous": `<Response><Dial anonymous="yes"><Number>21</Number></Dial></Response>`,
		"dial bad callerId":  `<Response><Dial callerId="me"><Number>21</Number></Dial></Response>`,
		"number with child":  `<Response><Dial><Number><b>21</b></Number></Dial></Response>`,
		"play without url":   `<Response><Play/></Response>`,
		"play two urls":      `<Response><Play><Url>https://a.example/1.wav</Url><Url>https://a.example/2.wav</Url></Play></Response>`,
		"play file url":      `<Response><Play><Url>file:///etc/passwd</Url></Play></Response>`,
		"url with password":  `<Response onAnswer="https://u:p@x.example/"/>`,
		"gather no onData":   `<Response><Gather/></Response>`,
		"gather 0 digits":    `<Response><Gather onData="https://x.example" maxDigits="0"/></Response>`,
		"gather long wait":   `<Response><Gather onData="https://x.example" timeout="600000"/></Response>`,
		"gather two plays":   `<Response><Gather onData="https://x.example"><Play><Url>https://a.example/1.wav</Url></Play><Play><Url>https://a.example/1.wav</Url></Play></Gather></Response>`,
		"reject other":       `<Response><Reject reason="later"/></Response>`,
		"hangup with child":  `<Response><Hangup><Hangup/></Hangup></Response>`,
		"too large":          `<Response>` + strings.Repeat(`<!-- padding -->`, MaxResponseSize/16) + `</Response>`,
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := ParseResponse([]byte(x))
			if !errors.Is(err, ErrResponse) {
				t.Fatalf("accepted as %#v (err %v)", r, err)
			}
		})
	}
}

// FuzzParseResponse feeds the parser arbitrary bytes: it must never panic,
// and whatever it accepts must be written back (XML) to a response that
// parses to the same value.
func FuzzParseResponse(f *testing.F) {
	for _, seed := range []string{
		`<Response/>`,
		`<Response onAnswer="https://a.example/a" onHangup="https://a.example/h"><Dial callerId="4930123456" anonymous="false"><Number>21</Number><Number>+4915112345678</Number></Dial></Response>`,
		`<Response><Dial><Voicemail/></Dial></Response>`,
		`<Response><Gather onData="https://a.example/d" maxDigits="3" timeout="100"><Play><Url>https://a.example/x.wav</Url></Play></Gather></Response>`,
		`<Response><Reject reason="busy"/></Response>`,
		`<?xml version="1.0"?><!-- c --><Response><Hangup/></Response>`,
		`<!DOCTYPE a [<!ENTITY b "c">]><Response/>`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			if !errors.Is(err, ErrResponse) {
				t.Fatalf("error %v does not wrap ErrResponse", err)
			}
			return
		}
		again, err := ParseResponse(r.XML())
		if err != nil {
			t.Fatalf("accepted %q, but not its rewrite %q: %v", b, r.XML(), err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("accepted %q as %#v; its rewrite reads as %#v", b, r, again)
		}
	})
}
