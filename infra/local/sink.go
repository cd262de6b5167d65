package main

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/mediafleet/registrar"
)

// The fleet's side of the local stack: the directory, loaded from a
// snapshot of the table and then kept current by streamsync (it is
// streamsync's sink), the registrar that answers REGISTER from it, and the
// B2BUA that routes calls with their media anchored in the RTP relay.

// fleet builds the directory, the registrar and the relay. It
// notes the change log's position before it reads the snapshot, so
// following the log from there (follow) misses no change, whatever
// happens while the snapshot is read.
func (s *Stack) fleet(ctx context.Context) error {
	s.dir = directory.New(s.log)
	if err := s.loadDirectory(ctx); err != nil {
		return err
	}
	var err error
	if s.reg, err = registrar.New(registrar.Config{Realm: s.cfg.SIPDomain}, s.dir, s.db, s.log); err != nil {
		return err
	}
	if s.relay, err = media.New(media.Config{}, s.log); err != nil {
		return err
	}
	return nil
}

// callRouter builds the B2BUA once the node exists: its requests to phones
// leave through the node's sockets, from the address the phones registered
// to (NAT bindings and TCP connections stay usable). Call events go to the
// in-process publisher the webhook queue reads.
func (s *Stack) callRouter() error {
	deps := calls.Deps{Directory: s.dir, Bindings: s.reg, Media: calls.Relay(s.relay), Store: s.db, Events: s.events}
	if s.sip != nil {
		deps.Node = s.sip
	}
	var err error
	s.calls, err = calls.New(calls.Config{Realm: s.cfg.SIPDomain,
		Trunk: calls.Trunk{Address: s.cfg.Trunk, Username: s.cfg.TrunkUser, Password: s.cfg.TrunkPassword}}, deps, s.log)
	return err
}

// loadDirectory replaces the directory with a snapshot of the table and
// sets the position to follow the change log from: at start, and again
// when the log was trimmed past what this reader had read.
func (s *Stack) loadDirectory(ctx context.Context) error {
	after, err := s.db.LastSequence()
	if err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	if err := s.dir.Load(ctx, s.db); err != nil {
		return err
	}
	s.after = after
	return nil
}
