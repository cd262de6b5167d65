// Package model holds Switchboard's domain entities as they are stored in
// the one table: accounts, users, devices (phones and external phones),
// groups and numbers, with the key scheme that places them.
//
// Every entity of an account lives in the account's partition
// (PK = ACCOUNT#<id>), so code that takes the account from the caller's
// credentials cannot reach another account's items. Globally unique lookups
// (a device id for SIP authentication, an E.164 number for inbound routing)
// go through the table's GSI1. Each item carries its entity type in the
// attribute "type", which is how change records are told apart.
//
// It holds data and invariants, not persistence logic: writing entities
// (with their guard items and conditions) is the job of the packages that
// own each feature.
package model
