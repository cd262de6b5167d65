package webhook

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// Event names as the bodies carry them.
const (
	EventNewCall = "newCall"
	EventAnswer  = "answer"
	EventHangup  = "hangup"
	EventDTMF    = "dtmf"
	EventTest    = "test" // sent by the settings' test action only
)

// Formats of a body.
const (
	FormatForm = "form"
	FormatJSON = "json"
)

// Content types of the two formats.
const (
	ContentTypeForm = "application/x-www-form-urlencoded; charset=UTF-8"
	ContentTypeJSON = "application/json; charset=UTF-8"
)

// Causes of a hangup as the compatible format names them.
const (
	CauseNormalClearing = "normalClearing"
	CauseBusy           = "busy"
	CauseCancel         = "cancel"
	CauseNoAnswer       = "noAnswer"
	CauseCongestion     = "congestion"
	CauseNotFound       = "notFound"
	CauseForwarded      = "forwarded"
)

// Message is the content of one request. Numbers are E.164 digits without
// '+', or "anonymous".
type Message struct {
	Event      string
	EventID    string // in the JSON body only; both formats send it as a header
	CallID     string
	OrigCallID string // the call this one was forwarded from; else CallID
	XCID       string // links the legs of one call
	Direction  string // in or out
	From, To   string
	// Users are, for newCall, every user the call reaches (all members for
	// a group call), for answer the one who answered.
	Users           []User
	Diversion       string // the originally dialled number of a diverted call
	AnsweringNumber string
	Cause           string
	AnswerTime      time.Time // hangup of an answered call
	Duration        int       // hangup: seconds from answer to hangup
	DTMF            string
}

// User names one user in a body.
type User struct {
	Name   string // display name
	ID     string // short id, e.g. w0
	FullID string // account id and short id, e.g. 1234567w0
}

// field is one field of a body in order: a string, a list of strings (the
// form's array syntax) or a number.
type field struct {
	name  string
	value any
}

// fields lists the body's fields in the order both formats write them.
func (m Message) fields(withEventID bool) []field {
	out := []field{{"event", m.Event}}
	if withEventID {
		out = append(out, field{"eventId", m.EventID})
	}
	switch m.Event {
	case EventNewCall:
		names, ids, full := make([]string, len(m.Users)), make([]string, len(m.Users)), make([]string, len(m.Users))
		for i, u := range m.Users {
			names[i], ids[i], full[i] = u.Name, u.ID, u.FullID
		}
		out = append(out, field{"from", m.From}, field{"to", m.To}, field{"direction", m.Direction},
			field{"callId", m.CallID}, field{"origCallId", m.OrigCallID}, field{"xcid", m.XCID},
			field{"user", names}, field{"userId", ids}, field{"fullUserId", full})
		out = m.diversion(out)
	case EventAnswer:
		var u User
		if len(m.Users) > 0 {
			u = m.Users[0]
		}
		out = append(out, field{"callId", m.CallID}, field{"user", u.Name}, field{"userId", u.ID}, field{"fullUserId", u.FullID},
			field{"from", m.From}, field{"to", m.To}, field{"direction", m.Direction}, field{"answeringNumber", m.AnsweringNumber})
		out = m.diversion(out)
	case EventHangup:
		out = append(out, field{"callId", m.CallID}, field{"cause", m.Cause},
			field{"from", m.From}, field{"to", m.To}, field{"direction", m.Direction}, field{"answeringNumber", m.AnsweringNumber})
		out = m.diversion(out)
		out = append(out, field{"duration", m.Duration})
		if !m.AnswerTime.IsZero() {
			out = append(out, field{"answerTime", m.AnswerTime.UTC().Format(time.RFC3339)})
		}
	case EventDTMF:
		out = append(out, field{"dtmf", m.DTMF}, field{"callId", m.CallID})
	}
	return out
}

func (m Message) diversion(out []field) []field {
	if m.Diversion != "" {
		out = append(out, field{"diversion", m.Diversion})
	}
	return out
}

// Form is the compatible body: form-encoded, lists in the array syntax
// (user[]=…) even with one entry, fields in a fixed order.
func (m Message) Form() []byte {
	var b bytes.Buffer
	add := func(name, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	for _, f := range m.fields(false) {
		switch v := f.value.(type) {
		case string:
			add(f.name, v)
		case int:
			add(f.name, strconv.Itoa(v))
		case []string:
			for _, e := range v {
				add(f.name+"[]", e)
			}
		}
	}
	return b.Bytes()
}

// JSON is the same fields as a JSON object, lists as arrays, numbers as
// numbers, and the event id.
func (m Message) JSON() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, f := range m.fields(true) {
		if i > 0 {
			b.WriteByte(',')
		}
		v := f.value
		if list, ok := v.([]string); ok && list == nil {
			v = []string{}
		}
		// Strings, numbers and lists of strings always encode; names and
		// values are written as they are, without HTML escapes.
		_ = enc.Encode(f.name)
		b.Truncate(b.Len() - 1)
		b.WriteByte(':')
		_ = enc.Encode(v)
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Body returns the body in format and its content type.
func (m Message) Body(format string) ([]byte, string) {
	if format == FormatJSON {
		return m.JSON(), ContentTypeJSON
	}
	return m.Form(), ContentTypeForm
}
