package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/switchboard/switchboard/shared/change"
)

// MaxPushBytes bounds the body of one push. A batch of the table's stream
// is at most a thousand records of at most 400 KB each in theory, but the
// fleet's items are small: a few MB leave ample room.
const MaxPushBytes = 8 << 20

// Push is the body streamsync posts to a node's sync endpoint
// (model.SyncPath): a batch of notifications in table order with the
// sequence numbers of its first and last one.
type Push struct {
	First         string                `json:"first"`
	Last          string                `json:"last"`
	Notifications []change.Notification `json:"notifications"`
}

// Sink takes pushed batches; *Sync implements it.
type Sink interface {
	Apply(ctx context.Context, batch []change.Notification) error
}

// Handler is a node's sync endpoint: it accepts POSTed pushes and hands
// their notifications to sink, answering 204 once they are applied (or
// held for after a snapshot). A body that is not one JSON push, or is
// larger than MaxPushBytes, gets 400 and changes nothing.
//
// It authenticates nothing: only streamsync can reach it (the node's
// security group admits its port from streamsync's alone).
func Handler(sink Sink, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		p, err := decodePush(http.MaxBytesReader(w, r.Body, MaxPushBytes))
		if err != nil {
			logger.Warn("sync push refused", "remote", r.RemoteAddr, "err", err)
			http.Error(w, "bad push: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := sink.Apply(r.Context(), p.Notifications); err != nil {
			logger.Error("sync push not applied", "first", p.First, "last", p.Last, "err", err)
			http.Error(w, "not applied", http.StatusInternalServerError)
			return
		}
		logger.Debug("sync push applied", "first", p.First, "last", p.Last, "count", len(p.Notifications))
		w.WriteHeader(http.StatusNoContent)
	})
}

// errTrailing reports data after the push's JSON object.
var errTrailing = errors.New("data after the JSON object")

// decodePush reads exactly one JSON push.
func decodePush(r io.Reader) (Push, error) {
	var p Push
	dec := json.NewDecoder(r)
	if err := dec.Decode(&p); err != nil {
		return Push{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errTrailing
		}
		return Push{}, err
	}
	kept := p.Notifications[:0]
	for i := range p.Notifications {
		known, err := check(&p.Notifications[i])
		if err != nil {
			return Push{}, fmt.Errorf("notification %d: %w", i, err)
		}
		if known {
			kept = append(kept, p.Notifications[i])
		}
	}
	p.Notifications = kept
	return p, nil
}

// check refuses a notification that does not carry its kind's entity,
// which streamsync never sends. A kind this node does not know (a newer
// streamsync's) is not an error: it is left out, as the node could not
// use it, so that a push carrying one does not make the node resync.
func check(n *change.Notification) (known bool, err error) {
	var ok bool
	switch n.Kind {
	case change.KindAccount:
		ok = n.AccountItem != nil && n.AccountItem.ID != ""
	case change.KindUser:
		ok = n.User != nil && n.User.ID != ""
	case change.KindDevice:
		ok = n.Device != nil && n.Device.ID != ""
	case change.KindGroup:
		ok = n.Group != nil && n.Group.ID != ""
	case change.KindNumber:
		ok = n.Number != nil && n.Number.E164 != ""
	case change.KindProbe:
		ok = n.Probe != nil && n.Probe.ID != ""
	default:
		return false, nil
	}
	if !ok {
		return true, fmt.Errorf("kind %q without its entity", n.Kind)
	}
	return true, nil
}
