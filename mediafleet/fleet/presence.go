package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// PresenceConfig describes the node to the table. Zero durations take the
// defaults named.
type PresenceConfig struct {
	// ID is the node's id (on AWS its EC2 instance id). Required.
	ID string
	// SyncAddr is the host:port streamsync posts pushes to (the node's
	// private address). Required.
	SyncAddr string
	// PublicIP is the address phones reach the node at, for operators.
	PublicIP string
	// SIPAddr is the node's SIP over UDP host:port inside the fleet's
	// network, where other nodes pass it calls for its phones.
	SIPAddr string
	// Heartbeat is how often the item's TTL is refreshed and its resync
	// flag read. Default 30 s.
	Heartbeat time.Duration
	// TTL is how long the item outlives the last heartbeat. Default 90 s.
	TTL time.Duration
	// Clock is the time source. Default time.Now.
	Clock func() time.Time
}

// Presence keeps a node's item (model.Node) in the table, so that
// streamsync pushes the table's changes to the node, and reloads the
// node's directory when it may have missed a push: when streamsync flagged
// the item for a resync, or when the item vanished (its TTL passed while
// the node could not reach the table).
//
// At start the node calls Join and then its Sync's Reload, in that order:
// every change committed after the item was written is pushed to the node,
// and every change before is in the snapshot read after.
type Presence struct {
	cfg     PresenceConfig
	st      store.Store
	sync    *Sync
	log     *slog.Logger
	started time.Time
	// stale is set when the directory needs a reload that has not
	// succeeded yet; only Beat reads and writes it.
	stale bool
}

// NewPresence returns the presence of a node whose directory sync keeps.
func NewPresence(cfg PresenceConfig, st store.Store, sync *Sync, logger *slog.Logger) (*Presence, error) {
	if cfg.ID == "" || cfg.SyncAddr == "" {
		return nil, errors.New("fleet: presence: node id and sync address are required")
	}
	if st == nil || sync == nil || logger == nil {
		return nil, errors.New("fleet: presence: store, sync and logger are required")
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 30 * time.Second
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 90 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Presence{cfg: cfg, st: st, sync: sync, log: logger.With("component", "presence", "node", cfg.ID),
		started: cfg.Clock()}, nil
}

// Join writes the node's item, replacing one a previous run of the node
// left behind.
func (p *Presence) Join(ctx context.Context) error {
	n := model.NewNode(p.cfg.ID, p.cfg.SyncAddr, p.cfg.PublicIP, p.started.Unix(), p.expires())
	n.SIPAddr = p.cfg.SIPAddr
	item, err := store.Marshal(n)
	if err != nil {
		return err
	}
	if err := p.st.Write(ctx, store.Put(item)); err != nil {
		return fmt.Errorf("fleet: write node item: %w", err)
	}
	return nil
}

// Leave deletes the node's item: streamsync stops pushing to it.
func (p *Presence) Leave(ctx context.Context) error {
	if err := p.st.Write(ctx, store.Delete(model.NodeKey(p.cfg.ID))); err != nil {
		return fmt.Errorf("fleet: delete node item: %w", err)
	}
	return nil
}

func (p *Presence) expires() int64 { return p.cfg.Clock().Add(p.cfg.TTL).Unix() }

// Run beats every Heartbeat until ctx ends, then deletes the node's item
// (for a few seconds at most) and returns nil. A failed beat is logged and
// tried again at the next one.
func (p *Presence) Run(ctx context.Context) error {
	tick := time.NewTicker(p.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := p.Leave(leave); err != nil {
				p.log.Warn("node item not deleted; it expires with its TTL", "err", err)
			}
			return nil
		case <-tick.C:
		}
		if err := p.Beat(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("heartbeat failed", "err", err)
		}
	}
}

// Beat refreshes the item's TTL and reloads the directory when the item
// is flagged for a resync or gone. The flag is cleared before the reload
// (on the version read, so a flag streamsync sets in between stays for
// the next beat): a push that fails during the reload flags the item
// again rather than being forgotten.
func (p *Presence) Beat(ctx context.Context) error {
	if err := p.beat(ctx); err != nil {
		return err
	}
	if p.sync.Behind() {
		p.log.Warn("pushes arrived out of order and were dropped; reloading the directory")
		p.stale = true
	}
	if !p.stale {
		return nil
	}
	if err := p.sync.Reload(ctx); err != nil {
		return err
	}
	p.stale = false
	return nil
}

func (p *Presence) beat(ctx context.Context) error {
	item, err := p.st.Get(ctx, model.NodeKey(p.cfg.ID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return p.rejoin(ctx)
	case err != nil:
		return fmt.Errorf("fleet: read node item: %w", err)
	}
	var n model.Node
	if err := store.Unmarshal(item, &n); err != nil {
		return fmt.Errorf("fleet: node item: %w", err)
	}
	ttl := store.N(p.expires())
	if !n.Resync {
		err := p.st.Write(ctx, store.Update(model.NodeKey(p.cfg.ID)).SetAttr(store.AttrTTL, ttl).If(store.Exists()))
		if errors.Is(err, store.ErrConflict) {
			return p.rejoin(ctx)
		}
		return err
	}
	p.log.Warn("node flagged for a resync: a push failed; reloading the directory")
	clear := store.Update(model.NodeKey(p.cfg.ID)).SetAttr(store.AttrTTL, ttl).
		SetAttr(model.AttrResync, &types.AttributeValueMemberBOOL{Value: false}).If(store.VersionEquals(store.Version(item)))
	if err := p.st.Write(ctx, clear); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("fleet: clear resync flag: %w", err)
	}
	p.stale = true
	return nil
}

// rejoin writes the item anew and reloads: while it was missing,
// streamsync pushed nothing to this node.
func (p *Presence) rejoin(ctx context.Context) error {
	p.log.Warn("node item gone (expired or deleted); writing it again and reloading the directory")
	if err := p.Join(ctx); err != nil {
		return err
	}
	p.stale = true
	return nil
}
