// Package webhook delivers an account's call events to the URLs its admins
// set (PRODUCT.md: integrations through webhooks of call events), in the
// push format that integrations of hosted PBXs in Germany are written
// against, or as JSON.
//
// It holds the wire formats (the form and JSON bodies, the signature
// headers, the XML steering response a newCall answer may carry), a client
// that posts with a timeout and refuses non-public addresses at connect
// time, the choice of URLs for an event, the delivery log, and the durable
// queue of the local stack with its retries and dead letters. The fleet
// posts newCall directly through NewCall, because the answer steers the
// call; answer and hangup go through a queue (Queue here, SQS on AWS) and
// are delivered at least once, with an event id consumers deduplicate by.
//
// It knows no HTTP server and no AWS: functions/accounts serves the
// settings and the log, functions/webhooks feeds it from SQS.
package webhook
