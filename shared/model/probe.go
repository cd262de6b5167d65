package model

import "github.com/switchboard/switchboard/shared/store"

// TypeProbe is the entity type of a connection check.
const TypeProbe = "probe"

// prefixProbe starts the sort keys of connection checks in an account's
// partition.
const prefixProbe = "PROBE#"

// Probe is one "check connection" of a phone: the API writes it, the
// fleet node that holds the phone's registrations learns of it through
// the table's change stream (it is an INSERT), sends OPTIONS to each of
// them and writes the results into it; the API waits for them. It expires
// soon after (TTL).
type Probe struct {
	PK        string        `dynamodbav:"PK"` // ACCOUNT#<account id>
	SK        string        `dynamodbav:"SK"` // PROBE#<device id>#<probe id>
	Type      string        `dynamodbav:"type"`
	ID        string        `dynamodbav:"id"`
	Account   string        `dynamodbav:"account"`
	Device    string        `dynamodbav:"device"`
	Requested int64         `dynamodbav:"requested"` // Unix milliseconds
	Done      bool          `dynamodbav:"done,omitempty"`
	Node      string        `dynamodbav:"node,omitempty"` // the node that checked
	Results   []ProbeResult `dynamodbav:"results,omitempty"`
	Expires   int64         `dynamodbav:"ttl"`
}

// ProbeResult is the answer of one registration to the check's OPTIONS.
type ProbeResult struct {
	Contact   string `dynamodbav:"contact"`
	Source    string `dynamodbav:"source,omitempty"`
	Transport string `dynamodbav:"transport,omitempty"`
	Status    int    `dynamodbav:"status,omitempty"` // the SIP status; 0 when none came
	Reason    string `dynamodbav:"reason,omitempty"`
	RTTMicros int64  `dynamodbav:"rtt,omitempty"`
	Error     string `dynamodbav:"error,omitempty"`
}

// ProbeKey addresses one check of a device.
func ProbeKey(accountID, deviceID, probeID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixProbe + deviceID + "#" + probeID}
}
