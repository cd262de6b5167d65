package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
)

// TestFanoutReachesFleetNodes joins AWS's two halves of the sync on
// loopback: streamsync's Fanout, fed change records of the table, pushes
// them over HTTP to two fleet nodes' sync endpoints, found by their items
// in the table, and both directories end with the change. It is the one
// place both sides may be imported together, so it checks that they agree
// on the wire.
func TestFanoutReachesFleetNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)

	var dirs []*directory.Directory
	for _, id := range []string{"i-1", "i-2"} {
		dir := directory.New(log)
		sync := fleet.NewSync(fleet.Directory(dir, db), log)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle(model.SyncPath, fleet.Handler(sync, log))
		srv := &http.Server{Handler: mux}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		p, err := fleet.NewPresence(fleet.PresenceConfig{ID: id, SyncAddr: ln.Addr().String()}, db, sync, log)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
		if err := sync.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}

	after, err := db.LastSequence()
	if err != nil {
		t.Fatal(err)
	}
	const acct, id = "1000001", "1000001e0"
	sum := md5.Sum([]byte(id + ":sip.test:pw"))
	k := model.DeviceKey(acct, id)
	dev := model.Device{Common: model.Common{PK: k.PK, SK: k.SK, Type: model.TypeDevice}, Account: acct, ID: id, Owner: "w0",
		Kind: model.DevicePhone, Enabled: true, Realm: "sip.test", HA1MD5: hex.EncodeToString(sum[:]),
		LookupPK: model.DeviceLookup(id), LookupSK: "DEVICE"}
	item, err := store.Marshal(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, store.Put(item)); err != nil {
		t.Fatal(err)
	}
	recs, err := db.ReadChanges(ctx, after, 100)
	if err != nil {
		t.Fatal(err)
	}

	sink, err := streamsync.NewFanout(db, streamsync.FanoutConfig{}, log)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := streamsync.New(sink, log)
	resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v %v", resp, err)
	}
	for i, dir := range dirs {
		got, ok := dir.Device(id)
		if !ok || got.HA1MD5 != dev.HA1MD5 || got.Version != 1 || !got.Enabled {
			t.Errorf("node %d: device %+v %v", i, got, ok)
		}
	}
	for _, id := range []string{"i-1", "i-2"} {
		it, err := db.Get(ctx, model.NodeKey(id))
		if err != nil {
			t.Fatal(err)
		}
		var n model.Node
		if err := store.Unmarshal(it, &n); err != nil || n.Resync {
			t.Errorf("node %s flagged: %+v %v", id, n, err)
		}
	}
}
