// Package events holds the events Switchboard emits about calls and
// accounts, and the port through which they are published: in process in
// the local stack, a durable queue on AWS. The fleet publishes call events;
// the webhooks function delivers them to subscribers.
//
// It is not the table's change stream (that is shared/change) and knows no
// transport; delivery (signing, retries, dead letters) builds on it.
package events

import (
	"context"
	"time"
)

// Type is the kind of an event.
type Type string

// Call event types.
const (
	NewCall Type = "newCall"
	Answer  Type = "answer"
	Hangup  Type = "hangup"
	DTMF    Type = "dtmf"
)

// Event is one thing that happened in an account.
type Event struct {
	ID      string    `json:"id"` // unique; consumers deduplicate by it
	Type    Type      `json:"type"`
	Account string    `json:"account"`
	Time    time.Time `json:"time"`
	Call    *Call     `json:"call,omitempty"`
}

// Call is the call an event is about.
type Call struct {
	ID        string   `json:"callId"`
	Direction string   `json:"direction"` // in or out
	From      string   `json:"from"`      // E.164 digits or "anonymous"
	To        string   `json:"to"`
	Users     []string `json:"users,omitempty"` // full user ids the call reaches
	Answered  string   `json:"answeringNumber,omitempty"`
	Cause     string   `json:"cause,omitempty"` // for hangup
	Digits    string   `json:"dtmf,omitempty"`  // for dtmf
	// OrigID is, for a leg a forwarding rule started, the id of the call
	// it was forwarded from (which ended with cause forwarded); Diversion
	// is the number or extension that call was for.
	OrigID    string `json:"origCallId,omitempty"`
	Diversion string `json:"diversion,omitempty"`
}

// Publisher is the port events are published through.
type Publisher interface {
	Publish(ctx context.Context, ev Event) error
}
