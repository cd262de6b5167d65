package model

import "github.com/switchboard/switchboard/shared/store"

// Entity types, stored in the attribute "type".
const (
	TypeAccount = "account"
	TypeUser    = "user"
	TypeDevice  = "device"
	TypeGroup   = "group"
	TypeNumber  = "number"
	TypeLogin   = "login"
	TypeCred    = "credential"
	TypeToken   = "tokenref"
	TypeContact = "contact"
	TypeAudit   = "audit"
	TypeGuard   = "guard"
)

// AttrType is the attribute naming an item's entity type.
const AttrType = "type"

// Sort-key prefixes within an account's partition.
const (
	prefixAccount = "ACCOUNT#"
	prefixUser    = "USER#"
	prefixDevice  = "DEVICE#"
	prefixGroup   = "GROUP#"
	prefixNumber  = "NUMBER#"
	prefixExt     = "EXT#"
	prefixToken   = "TOKEN#"
	prefixContact = "CONTACT#"
	prefixAudit   = "AUDIT#"
	skAccount     = "ACCOUNT"
)

// AccountPK is the partition of an account.
func AccountPK(accountID string) string { return prefixAccount + accountID }

// AccountKey addresses the account item itself.
func AccountKey(accountID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: skAccount}
}

// UserKey addresses a user.
func UserKey(accountID, userID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixUser + userID}
}

// DeviceKey addresses a device.
func DeviceKey(accountID, deviceID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixDevice + deviceID}
}

// GroupKey addresses a group.
func GroupKey(accountID, groupID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixGroup + groupID}
}

// NumberKey addresses a number of an account by its E.164 form.
func NumberKey(accountID, e164 string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixNumber + e164}
}

// ExtensionKey addresses the guard item that reserves an extension in an
// account; it names its owner.
func ExtensionKey(accountID, ext string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixExt + ext}
}

// TokenRefKey addresses the listing copy of a personal access token.
func TokenRefKey(accountID, tokenID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixToken + tokenID}
}

// ContactKey addresses a contact.
func ContactKey(accountID, contactID string) store.Key {
	return store.Key{PK: AccountPK(accountID), SK: prefixContact + contactID}
}

// NumberGuardKey reserves a number across all accounts and says whose it is.
func NumberGuardKey(e164 string) store.Key { return store.Key{PK: "E164#" + e164, SK: "E164"} }

// Prefixes for listing one kind of entity of an account.
const (
	UsersPrefix    = prefixUser
	DevicesPrefix  = prefixDevice
	GroupsPrefix   = prefixGroup
	NumbersPrefix  = prefixNumber
	ExtPrefix      = prefixExt
	TokensPrefix   = prefixToken
	ContactsPrefix = prefixContact
	AuditPrefix    = prefixAudit
)

// Global lookups through GSI1: the partition names the unique thing, the
// sort key its kind.
const LookupIndex = "GSI1"

// AccountsIndex and AccountsIndexPK list every account (GSI2SK is the
// account id).
const (
	AccountsIndex   = "GSI2"
	AccountsIndexPK = "ACCOUNTS"
)

// DeviceLookup is the GSI1 partition of a device (by its global id).
func DeviceLookup(deviceID string) string { return "DEVICE#" + deviceID }

// NumberLookup is the GSI1 partition of a number (by its E.164 form).
func NumberLookup(e164 string) string { return "NUMBER#" + e164 }
