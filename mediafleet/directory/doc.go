// Package directory is the fleet's in-memory view of every account: the
// devices with their HA1 digests, the users, groups, numbers and
// extensions that REGISTER and INVITE are answered from, without a table
// read on the signalling path.
//
// A Directory is filled from a snapshot of the table (Load) and then kept
// current by change notifications (Apply, which implements streamsync's
// sink). To miss nothing, the caller notes the change stream's position
// before the snapshot and follows the stream from there: notifications for
// changes the snapshot already holds are recognised by the items' version
// ("v") and ignored, and a notification whose sequence number is not newer
// than the last one applied (a duplicate or a reordered delivery) is
// ignored too. When the stream reports a gap (records trimmed before they
// were read), the caller loads a new snapshot; Load replaces the whole view
// at once.
//
// Reads are safe from any goroutine. The values handed out are never
// changed after they are published (an update installs a new value), so a
// reader may keep one after the call returns. Looking a device up by id
// allocates nothing.
//
// The directory holds no SIP password: only the HA1 digests of
// "id:realm:password". It does not hold registrations (the registrar
// does) and it makes no routing decision (the call router does, from what
// it finds here).
package directory
