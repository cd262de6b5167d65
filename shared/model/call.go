package model

import (
	"time"

	"github.com/switchboard/switchboard/shared/store"
)

// TypeCall is the entity type of call records.
const TypeCall = "call"

// CallsPrefix starts the sort keys of an account's call records; the
// start time that follows sorts them by time.
const CallsPrefix = "CALL#"

// callTime is the start time in sort keys: fixed width, so that keys sort
// by time.
const callTime = "2006-01-02T15:04:05.000000000Z"

// CallKey addresses the record of a call in its account's partition.
func CallKey(account string, start time.Time, callID string) store.Key {
	return store.Key{PK: AccountPK(account), SK: CallsPrefix + start.UTC().Format(callTime) + "#" + callID}
}

// Call is what the table keeps of a call once it ended. The fleet writes
// it; the itemized bill and the users' event lists read it.
type Call struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	// ID names the call (also in its events); SIPCallID is the caller's
	// Call-ID.
	ID        string `dynamodbav:"callId"`
	SIPCallID string `dynamodbav:"sipCallId"`
	Account   string `dynamodbav:"account"`
	Direction string `dynamodbav:"direction"` // in, out or internal
	// From is the caller (E.164 digits, an extension, a device id or
	// "anonymous"); To what was dialled (E.164 digits for numbers).
	From string `dynamodbav:"from"`
	To   string `dynamodbav:"to"`
	// Caller is the calling phone's device id ("" for calls from the
	// trunk); Users and Devices all users and devices involved.
	Caller  string   `dynamodbav:"caller,omitempty"`
	Users   []string `dynamodbav:"users,omitempty"`
	Devices []string `dynamodbav:"devices,omitempty"`
	// AnsweredBy is the answering device, or the external number the
	// trunk reached.
	AnsweredBy string     `dynamodbav:"answeredBy,omitempty"`
	Start      time.Time  `dynamodbav:"start"`
	Answer     *time.Time `dynamodbav:"answer,omitempty"`
	End        time.Time  `dynamodbav:"end"`
	// Status is the final SIP status the caller got; Cause why the call
	// ended.
	Status int       `dynamodbav:"status"`
	Cause  string    `dynamodbav:"cause"`
	Media  CallMedia `dynamodbav:"media"`
}

// CallMedia are the relay's counters of one call.
type CallMedia struct {
	// CallerIn and CalleeIn count RTP packets each phone sent to the
	// relay; CallerOut and CalleeOut those the relay sent to each phone.
	CallerIn  uint64 `dynamodbav:"callerIn"`
	CallerOut uint64 `dynamodbav:"callerOut"`
	CalleeIn  uint64 `dynamodbav:"calleeIn"`
	CalleeOut uint64 `dynamodbav:"calleeOut"`
	// CallerLost and CalleeLost count packets of each phone missing by
	// sequence number.
	CallerLost uint64 `dynamodbav:"callerLost"`
	CalleeLost uint64 `dynamodbav:"calleeLost"`
}
