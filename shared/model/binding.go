package model

import "github.com/switchboard/switchboard/shared/store"

// TypeBinding is the entity type of a registration binding.
const TypeBinding = "binding"

// prefixBinding starts the sort keys of bindings in an account's partition.
const prefixBinding = "BINDING#"

// BindingsPrefix lists every binding of an account.
const BindingsPrefix = prefixBinding

// Binding is one registration of a phone: where the fleet reaches it. The
// registrar writes it when a phone registers and lets it expire with the
// registration (TTL), so any fleet node finds where a device is and the
// API shows a phone online while it has an unexpired binding. A phone may
// hold several bindings (one per contact it registered).
type Binding struct {
	PK        string `dynamodbav:"PK"` // ACCOUNT#<account id>
	SK        string `dynamodbav:"SK"` // BINDING#<device id>#<binding id>
	Type      string `dynamodbav:"type"`
	Account   string `dynamodbav:"account"`
	Device    string `dynamodbav:"device"`              // global device id, e.g. 1234567e0
	Contact   string `dynamodbav:"contact"`             // the Contact URI the phone registered
	Source    string `dynamodbav:"source,omitempty"`    // address:port the REGISTER came from
	Transport string `dynamodbav:"transport,omitempty"` // udp, tcp, tls
	UserAgent string `dynamodbav:"userAgent,omitempty"`
	Node      string `dynamodbav:"node,omitempty"` // the fleet node holding the connection
	Expires   int64  `dynamodbav:"ttl"`            // Unix seconds; the store hides it after
}

// BindingPrefix is the sort-key prefix of one device's bindings. It ends
// in "#", so the bindings of 1234567e1 never match those of 1234567e10.
func BindingPrefix(deviceID string) string { return prefixBinding + deviceID + "#" }

// BindingKey addresses one binding of a device.
func BindingKey(accountID, deviceID, bindingID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: BindingPrefix(deviceID) + bindingID}
}
