package model

import "github.com/switchboard/switchboard/shared/store"

// TypeFleetNode is the entity type of a live fleet node's item.
const TypeFleetNode = "fleetnode"

// FleetPK is the partition of the fleet's node items; NodesPrefix starts
// their sort keys.
const (
	FleetPK     = "FLEET"
	NodesPrefix = "NODE#"
)

// SyncPath is the path of a fleet node's sync endpoint, where
// functions/streamsync posts batches of change notifications.
const SyncPath = "/v1/sync"

// NodeKey addresses the item of the fleet node with the id (on AWS the
// EC2 instance id).
func NodeKey(id string) store.Key { return store.Key{PK: FleetPK, SK: NodesPrefix + id} }

// Node is a live fleet node as the table lists it, so that streamsync can
// push every change to every node. The node writes it before it loads its
// directory, refreshes its TTL every heartbeat and deletes it when it stops
// cleanly; a node that vanished drops out of the listing when its TTL
// passes. Streamsync sets Resync when a push to the node failed; the node
// then reloads its directory from a snapshot and clears the flag.
//
// Its type is not one the fleet's change notifications follow, so its
// heartbeats pass through streamsync without reaching the nodes.
type Node struct {
	PK       string `dynamodbav:"PK"` // FLEET
	SK       string `dynamodbav:"SK"` // NODE#<node id>
	Type     string `dynamodbav:"type"`
	Version  int64  `dynamodbav:"v,omitempty"`
	ID       string `dynamodbav:"id"`
	SyncAddr string `dynamodbav:"syncAddr"`           // private ip:port of the sync endpoint
	PublicIP string `dynamodbav:"publicIp,omitempty"` // the address phones reach the node at
	// SIPAddr is the node's SIP over UDP address inside the fleet's
	// network: other nodes pass it calls to the phones registered there.
	SIPAddr string `dynamodbav:"sipAddr,omitempty"`
	Started int64  `dynamodbav:"started"` // Unix seconds
	Resync  bool   `dynamodbav:"resync,omitempty"`
	Expires int64  `dynamodbav:"ttl"` // Unix seconds; the store hides it after
}

// AttrResync is the attribute of Node.Resync, which streamsync sets with
// an update.
const AttrResync = "resync"

// NewNode returns the item of node id.
func NewNode(id, syncAddr, publicIP string, started, expires int64) Node {
	k := NodeKey(id)
	return Node{PK: k.PK, SK: k.SK, Type: TypeFleetNode, ID: id, SyncAddr: syncAddr, PublicIP: publicIP,
		Started: started, Expires: expires}
}
