package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// buckets are the stack's S3 buckets.
type buckets struct {
	// Exports holds billing exports (call records, invoices as CSV) that
	// the exports function writes and the billing API hands out.
	Exports awss3.Bucket
	// Recordings holds voicemail and greetings recorded by the media fleet.
	Recordings awss3.Bucket
	// Documents holds uploaded and generated documents, such as the
	// address verification PDFs a number booking needs.
	Documents awss3.Bucket
}

// newBuckets defines the buckets. All of them are private, encrypted and
// reachable over TLS only; all are retained when the stack is deleted
// because they hold customer data.
func newBuckets(scope constructs.Construct) buckets {
	return buckets{
		Exports:    newBucket(scope, "Exports", false),
		Recordings: newBucket(scope, "Recordings", false),
		// Verification documents are evidence a regulator may ask for, so
		// an overwrite or delete must leave the earlier version behind.
		Documents: newBucket(scope, "Documents", true),
	}
}

func newBucket(scope constructs.Construct, id string, versioned bool) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(versioned),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
}

// bucketAccess is what a function may do with a bucket's objects.
type bucketAccess int

const (
	accessRead bucketAccess = iota
	accessReadWrite
	accessReadDelete
)

// bucketGrant gives one function access to one bucket.
type bucketGrant struct {
	function string
	bucket   func(buckets) awss3.Bucket
	access   bucketAccess
}

// bucketGrants lists which function may touch which bucket. Access is as
// narrow as each function's job: the recordings are written by the media
// fleet, so the API only reads and deletes them.
func bucketGrants() []bucketGrant {
	exports := func(b buckets) awss3.Bucket { return b.Exports }
	recordings := func(b buckets) awss3.Bucket { return b.Recordings }
	documents := func(b buckets) awss3.Bucket { return b.Documents }
	return []bucketGrant{
		{function: "exports", bucket: exports, access: accessReadWrite},
		{function: "billing", bucket: exports, access: accessRead},
		{function: "verification", bucket: documents, access: accessReadWrite},
		{function: "users", bucket: recordings, access: accessReadDelete},
	}
}

// apply adds g to the function's role policy.
func (g bucketGrant) apply(b buckets, fns functions) error {
	fn, ok := fns[g.function]
	if !ok {
		return fmt.Errorf("bucket grant for unknown function %q", g.function)
	}
	bucket := g.bucket(b)
	switch g.access {
	case accessRead:
		bucket.Grants().Read(fn, nil)
	case accessReadWrite:
		bucket.Grants().ReadWrite(fn, nil)
	case accessReadDelete:
		bucket.Grants().Read(fn, nil)
		bucket.Grants().Delete(fn, nil)
	default:
		return fmt.Errorf("bucket grant for function %s: unknown access %d", g.function, g.access)
	}
	return nil
}
