package main

import (
	"context"
	"fmt"

	callevents "github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/fleet"
)

// The fleet's side of the local stack: one fleet node (mediafleet/fleet)
// on the embedded table, whose directory is loaded from a snapshot of the
// table and then kept current by streamsync (the directory is streamsync's
// sink), and whose call events go to the in-process publisher the webhook
// queue reads.

// openFleet builds the fleet and binds its sockets, then loads its
// directory.
func (s *Stack) openFleet(ctx context.Context) error {
	challenges, err := fleet.ParseChallenges(s.cfg.SIPDigest)
	if err != nil {
		return err
	}
	s.fleet, err = fleet.New(ctx, fleet.Config{
		Domain: s.cfg.SIPDomain,
		SIPUDP: addrOrEmpty(s.cfg.SIPUDP), SIPTCP: addrOrEmpty(s.cfg.SIPTCP), STUN: addrOrEmpty(s.cfg.STUN),
		Trunk:      calls.Trunk{Address: s.cfg.Trunk, Username: s.cfg.TrunkUser, Password: s.cfg.TrunkPassword},
		Challenges: challenges,
		Calls: func(c *calls.Config, d *calls.Deps) {
			c.NoAnswer, c.SteerTimeout, _ = s.cfg.Durations()
			d.Steer = hookSteer{s}
		},
	}, s.db, s.events, s.log)
	if err != nil {
		return err
	}
	return s.loadDirectory(ctx)
}

// loadDirectory replaces the directory with a snapshot of the table and
// sets the position to follow the change log from: at start, and again
// when the log was trimmed past what this reader had read. It notes the
// change log's position before it reads the snapshot, so following the
// log from there (follow) misses no change, whatever happens while the
// snapshot is read.
func (s *Stack) loadDirectory(ctx context.Context) error {
	after, err := s.db.LastSequence()
	if err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	if err := s.fleet.Load(ctx); err != nil {
		return err
	}
	s.after = after
	return nil
}

// hookSteer lets the B2BUA ask the account's integration about each new
// call through the webhook deliverer, which is built after the fleet
// (it needs the account domain) but before anything is served.
type hookSteer struct{ s *Stack }

func (h hookSteer) NewCall(ctx context.Context, ev callevents.Event) (*webhook.Response, error) {
	return h.s.hooks.NewCall(ctx, ev)
}

func (h hookSteer) Gathered(ctx context.Context, ev callevents.Event, onData string) (*webhook.Response, error) {
	return h.s.hooks.Gathered(ctx, ev, onData)
}

func (h hookSteer) Audio(ctx context.Context, url string) ([]int16, error) {
	return h.s.hooks.Audio(ctx, url)
}
