// Package store is Switchboard's one-table port: every piece of state lives
// in a single DynamoDB-shaped table (partition key PK, sort key SK, a few
// global secondary indexes, a TTL attribute and a version per item).
//
// The port is deliberately small and speaks DynamoDB's data model (attribute
// values), so that the same domain code runs against Amazon DynamoDB (adapter
// store/dynamo) and against the embedded single-file database of the local
// stack (adapter store/embedded) with identical semantics. Those semantics are
// pinned down by the conformance suite in store/storetest, which both adapters
// pass.
//
// It is not an ORM and not a query language: conditions are structured values
// (must not exist, must exist, version equals N), never free-form expression
// strings, and there are no scans. What items mean is the business of the
// packages that write them.
package store
