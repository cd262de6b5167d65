package main

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/registrar"
)

// The fleet's side of the local stack: the directory, loaded from a
// snapshot of the table and then kept current by streamsync (it is
// streamsync's sink), and the registrar that answers REGISTER from it.

// fleet builds the directory and the registrar. It notes the change log's
// position before it reads the snapshot, so following the log from there
// (follow) misses no change, whatever happens while the snapshot is read.
func (s *Stack) fleet(ctx context.Context) error {
	s.dir = directory.New(s.log)
	if err := s.loadDirectory(ctx); err != nil {
		return err
	}
	var err error
	s.reg, err = registrar.New(registrar.Config{Realm: s.cfg.SIPDomain}, s.dir, s.db, s.log)
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
