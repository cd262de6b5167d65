package fleet

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// TablePeers finds the other nodes where a phone is registered: its
// bindings in the table name the node that holds each, and the nodes'
// items their SIP addresses. It implements calls.Peers.
type TablePeers struct {
	Self  string // this node's id, never returned
	Store store.Store
}

// maxPeerBindings bounds the bindings read for one phone.
const maxPeerBindings = 20

// Nodes returns the SIP addresses of the other live nodes holding a
// registration of the device; none when the table cannot be read.
func (p *TablePeers) Nodes(ctx context.Context, account, device string) []string {
	page, err := p.Store.Query(ctx, store.Query{PK: model.AccountPK(account), Prefix: model.BindingPrefix(device), Limit: maxPeerBindings})
	if err != nil {
		return nil
	}
	var nodes []string
	for _, it := range page.Items {
		var b model.Binding
		if store.Unmarshal(it, &b) != nil || b.Node == "" || b.Node == p.Self || slices.Contains(nodes, b.Node) {
			continue
		}
		nodes = append(nodes, b.Node)
	}
	var out []string
	for _, id := range nodes {
		it, err := p.Store.Get(ctx, model.NodeKey(id))
		if err != nil {
			continue // gone: its registrations lapse with it
		}
		var n model.Node
		if store.Unmarshal(it, &n) == nil && n.SIPAddr != "" {
			out = append(out, n.SIPAddr)
		}
	}
	return out
}
