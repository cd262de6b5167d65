package fleet

import (
	"github.com/switchboard/switchboard/shared/change"
)

// order follows the sequence numbers a Sync hands to its directory, to
// notice what the directory drops. The directory ignores a notification
// whose sequence number is not newer than the last it applied: right for
// one ordered stream, but the table's stream has a shard per partition,
// and streamsync's invocations for different shards push concurrently, so
// a push of one shard may arrive after a newer one of another. The
// directory then drops changes it has not seen; order marks the Sync as
// behind, and the node's next heartbeat reloads the directory.
//
// A push that arrives twice (streamsync retried it after a timeout) is
// recognised by its first and last sequence numbers and skipped: it was
// applied whole the first time.
type order struct {
	max    string // newest sequence number handed on since the last snapshot
	recent [32]string
	next   int
	behind bool
}

// duplicate reports whether batch is one of the latest pushes, and
// remembers it otherwise.
func (o *order) duplicate(batch []change.Notification) bool {
	if len(batch) == 0 || batch[0].Sequence == "" {
		return false
	}
	key := batch[0].Sequence + "-" + batch[len(batch)-1].Sequence
	for _, k := range o.recent {
		if k == key {
			return true
		}
	}
	o.recent[o.next] = key
	o.next = (o.next + 1) % len(o.recent)
	return false
}

// note records the notifications handed to the directory, in order.
func (o *order) note(batch []change.Notification) {
	for i := range batch {
		seq := batch[i].Sequence
		switch {
		case seq == "":
		case o.max != "" && change.CompareSequence(seq, o.max) <= 0:
			o.behind = true
		default:
			o.max = seq
		}
	}
}

// reset starts over with a snapshot, which holds everything before it.
func (o *order) reset() { o.max, o.behind = "", false }
