// Package dynamo is the store adapter for Amazon DynamoDB (aws-sdk-go-v2).
// It implements store.Store on the one table of store.Definition with the
// semantics the conformance suite in store/storetest pins down:
//
//   - Reads hide items whose TTL has passed by the adapter's clock, because
//     DynamoDB keeps expired items until a background sweep deletes them.
//     Conditions treat such items as absent.
//   - Query pages are exact: a page holds up to Limit items and carries a
//     cursor exactly when more items match. The adapter asks DynamoDB for
//     one item more than the page and keeps asking while the TTL filter
//     drops items.
//   - Every item carries a version ("v"): puts store 1 (or n+1 after a
//     VersionEquals(n) condition) and updates add 1.
//   - A write of one operation is a single conditional request; a write of
//     several is one TransactWriteItems call, and a failed condition names
//     its operation in a *store.ConflictError.
//
// CreateTable makes the table (for DynamoDB Local and tests; the deployed
// table comes from infra/aws) and ReadStream reads a table's change records
// through the DynamoDB Streams API, in the shape Lambda delivers them.
//
// It is not a general DynamoDB client: there are no scans, no free-form
// expressions and no batch reads. Tests run it against Amazon's DynamoDB
// Local, started by the dynamolocal package.
package dynamo
