package webhook

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"time"
)

// Limits of a steering response.
const (
	MaxResponseSize = 64 << 10 // bytes read of a newCall answer
	MaxDialNumbers  = 5
	maxURLLength    = 2000
	maxGatherDigits = 20
	maxGatherWait   = 60 * time.Second
	defaultWait     = 2 * time.Second
)

// ErrResponse wraps every reason a steering response is refused.
var ErrResponse = errors.New("webhook: invalid steering response")

// Response is a parsed answer to newCall: URLs that receive this call's
// answer and hangup events, and at most one verb.
type Response struct {
	OnAnswer string
	OnHangup string
	Verb     Verb // nil: the call proceeds as routed
}

// Verb is one of Dial, Play, Gather, Reject, Hangup.
type Verb interface{ verb() string }

// Dial rings up to five numbers in parallel, or the voicemail.
type Dial struct {
	CallerID  string   // number shown to the called party; "" for the default
	Anonymous bool     // suppress the caller's number
	Numbers   []string // E.164 digits (a leading '+' is dropped) or extensions
	Voicemail bool
}

// Play plays a WAV file (8 kHz mono 16-bit PCM) fetched from URL; the call
// then proceeds as routed.
type Play struct{ URL string }

// Gather collects up to MaxDigits DTMF digits and posts them to OnData,
// optionally playing a file meanwhile (the first digit stops it).
type Gather struct {
	OnData    string
	MaxDigits int
	Timeout   time.Duration
	Play      *Play
}

// Reject refuses the call: Reason is "rejected" or "busy".
type Reject struct{ Reason string }

// Hangup ends the call.
type Hangup struct{}

func (Dial) verb() string   { return "Dial" }
func (Play) verb() string   { return "Play" }
func (Gather) verb() string { return "Gather" }
func (Reject) verb() string { return "Reject" }
func (Hangup) verb() string { return "Hangup" }

// XML writes r as a steering response, the inverse of ParseResponse.
func (r Response) XML() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response")
	attr(&b, "onAnswer", r.OnAnswer)
	attr(&b, "onHangup", r.OnHangup)
	if r.Verb == nil {
		b.WriteString("/>\n")
		return b.Bytes()
	}
	b.WriteString(">\n")
	switch v := r.Verb.(type) {
	case Dial:
		b.WriteString("  <Dial")
		attr(&b, "callerId", v.CallerID)
		if v.Anonymous {
			attr(&b, "anonymous", "true")
		}
		b.WriteString(">")
		for _, n := range v.Numbers {
			b.WriteString("<Number>" + n + "</Number>")
		}
		if v.Voicemail {
			b.WriteString("<Voicemail/>")
		}
		b.WriteString("</Dial>\n")
	case Play:
		b.WriteString("  ")
		writePlay(&b, v)
		b.WriteString("\n")
	case Gather:
		b.WriteString("  <Gather")
		attr(&b, "onData", v.OnData)
		attr(&b, "maxDigits", strconv.Itoa(v.MaxDigits))
		attr(&b, "timeout", strconv.FormatInt(v.Timeout.Milliseconds(), 10))
		b.WriteString(">")
		if v.Play != nil {
			writePlay(&b, *v.Play)
		}
		b.WriteString("</Gather>\n")
	case Reject:
		b.WriteString("  <Reject")
		attr(&b, "reason", v.Reason)
		b.WriteString("/>\n")
	case Hangup:
		b.WriteString("  <Hangup/>\n")
	}
	b.WriteString("</Response>\n")
	return b.Bytes()
}

func writePlay(b *bytes.Buffer, p Play) {
	b.WriteString("<Play><Url>")
	_ = xml.EscapeText(b, []byte(p.URL))
	b.WriteString("</Url></Play>")
}

func attr(b *bytes.Buffer, name, v string) {
	if v == "" {
		return
	}
	b.WriteString(" " + name + `="`)
	_ = xml.EscapeText(b, []byte(v))
	b.WriteString(`"`)
}
