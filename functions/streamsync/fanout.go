package streamsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Push is the body a Fanout posts to a node's sync endpoint
// (model.SyncPath): a batch's notifications in table order, with the
// sequence numbers of its first and last one. The fleet decodes the same
// JSON shape.
type Push struct {
	First         string                `json:"first"`
	Last          string                `json:"last"`
	Notifications []change.Notification `json:"notifications"`
}

// maxPush is the most notifications one push carries.
const maxPush = 500

// Nodes is the part of the table port a Fanout needs: listing the live
// nodes and flagging one for a resync.
type Nodes interface {
	Query(ctx context.Context, q store.Query) (store.Page, error)
	Write(ctx context.Context, ops ...store.Op) error
}

// FanoutConfig tunes a Fanout. Zero values take the defaults named.
type FanoutConfig struct {
	// Timeout bounds one attempt to push to one node. Default 2 s.
	Timeout time.Duration
	// Attempts is how often a push to a node is tried before the node is
	// flagged for a resync. Default 3.
	Attempts int
	// Backoff is the pause before the second attempt; it doubles for
	// each later one. Default 100 ms.
	Backoff time.Duration
	// Client sends the pushes. Default: a client of its own.
	Client *http.Client
}

// Fanout is the sink of streamsync on AWS: it pushes every batch to every
// live fleet node (the nodes' items in the table, model.Node) in
// parallel. A node that cannot take a batch after a few attempts is
// flagged with resync on its item, and reloads its directory from a
// snapshot when its heartbeat sees the flag; the batch is not failed for
// it, so one sick node never stalls the stream for the others.
type Fanout struct {
	nodes Nodes
	cfg   FanoutConfig
	log   *slog.Logger
}

// NewFanout returns a sink that reaches the nodes listed in nodes.
func NewFanout(nodes Nodes, cfg FanoutConfig, logger *slog.Logger) (*Fanout, error) {
	if nodes == nil {
		return nil, errors.New("streamsync: fanout: no table")
	}
	if logger == nil {
		logger = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second}}
	}
	return &Fanout{nodes: nodes, cfg: cfg, log: logger}, nil
}

// Apply pushes batch to every live node not flagged for a resync. It
// fails only when the nodes cannot be listed, so that the stream retries
// the batch; nodes that fail are flagged for a resync instead.
func (f *Fanout) Apply(ctx context.Context, batch []change.Notification) error {
	if len(batch) == 0 {
		return nil
	}
	nodes, err := f.live(ctx)
	if err != nil {
		return err
	}
	// Pushes of a bounded number of notifications stay well below the
	// body limit of the nodes' sync endpoint, whatever the stream's batch
	// size; a node takes them in order.
	var bodies [][]byte
	for chunk := range slices.Chunk(batch, maxPush) {
		body, err := json.Marshal(Push{First: chunk[0].Sequence, Last: chunk[len(chunk)-1].Sequence, Notifications: chunk})
		if err != nil {
			return fmt.Errorf("streamsync: encode push: %w", err)
		}
		bodies = append(bodies, body)
	}
	var wg sync.WaitGroup
	for _, n := range nodes {
		if n.Resync {
			// A flagged node reloads its directory at its next heartbeat,
			// after clearing the flag: the reload holds this batch, which
			// was committed before. Skipping it also spares every batch the
			// timeouts of a node that died before its TTL ran out.
			continue
		}
		wg.Go(func() {
			var err error
			for _, body := range bodies {
				if err = f.push(ctx, n, body); err != nil {
					break
				}
			}
			if err == nil {
				return
			}
			f.log.Warn("push to fleet node failed; flagging it for a resync", "node", n.ID, "addr", n.SyncAddr,
				"first", batch[0].Sequence, "last", batch[len(batch)-1].Sequence, "err", err)
			f.flag(ctx, n.ID)
		})
	}
	wg.Wait()
	return nil
}

// live lists the nodes whose items have not expired.
func (f *Fanout) live(ctx context.Context) ([]model.Node, error) {
	var out []model.Node
	q := store.Query{PK: model.FleetPK, Prefix: model.NodesPrefix, Limit: store.MaxLimit}
	for {
		page, err := f.nodes.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("streamsync: list fleet nodes: %w", err)
		}
		for _, item := range page.Items {
			var n model.Node
			if err := store.Unmarshal(item, &n); err != nil || n.ID == "" || n.SyncAddr == "" {
				f.log.Warn("fleet node item unusable", "sk", n.SK, "err", err)
				continue
			}
			out = append(out, n)
		}
		if page.Cursor == "" {
			return out, nil
		}
		q.Cursor = page.Cursor
	}
}

// push posts body to one node, retrying a few times.
func (f *Fanout) push(ctx context.Context, n model.Node, body []byte) error {
	url := "http://" + n.SyncAddr + model.SyncPath
	var err error
	pause := f.cfg.Backoff
	for attempt := range f.cfg.Attempts {
		if attempt > 0 {
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			}
			pause *= 2
		}
		if err = f.post(ctx, url, body); err == nil {
			return nil
		}
	}
	return err
}

func (f *Fanout) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s %q", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// flag sets resync on a node's item. A node whose item is gone has
// stopped, and needs no flag.
func (f *Fanout) flag(ctx context.Context, id string) {
	op := store.Update(model.NodeKey(id)).SetAttr(model.AttrResync, &types.AttributeValueMemberBOOL{Value: true}).If(store.Exists())
	// The flag is worth writing even when the batch's time is up: without
	// it the node would miss the batch for good.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := f.nodes.Write(wctx, op)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrConflict):
		f.log.Info("fleet node gone before it could be flagged", "node", id)
	default:
		f.log.Error("fleet node not flagged for a resync", "node", id, "err", err)
	}
}
