// Package embedded is the store adapter of the local stack: one file, kept
// with go.etcd.io/bbolt, with the same semantics as the DynamoDB adapter
// (the conformance suite in store/storetest runs against both).
//
// Besides the table it keeps a durable change log: every committed write
// appends change records shaped exactly like DynamoDB stream records
// (events.DynamoDBEventRecord with old and new images and increasing
// sequence numbers), so the code that consumes the table's stream on AWS
// (functions/streamsync) runs unchanged in the local stack. Subscribers
// read from a sequence number on and are woken by new records; records
// older than a retention period are trimmed, like a DynamoDB stream's.
//
// It is for one process on one machine, not a server: the file is locked
// while open.
package embedded
