package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Connection checks (P1 "check connection"): the API cannot reach a
// phone itself, the fleet node that holds the phone's registrations can.
// The check is written to the table as a probe; the change stream tells
// the fleet, whose node with the registrations sends OPTIONS to each and
// writes the answers into the probe, which the API waits for.

// ConnectionCheck is what a check found.
type ConnectionCheck struct {
	Device    string    `json:"device"`
	Online    bool      `json:"online" doc:"The phone had at least one active registration"`
	Reachable bool      `json:"reachable" doc:"At least one registration answered the check"`
	Complete  bool      `json:"complete" doc:"False when the fleet did not report in time; results are then missing"`
	CheckedAt time.Time `json:"checkedAt"`
	Results   []Reach   `json:"results" doc:"One per registration"`
}

// Reach is how one registration answered.
type Reach struct {
	Contact   string  `json:"contact"`
	Source    string  `json:"source,omitempty"`
	Transport string  `json:"transport,omitempty"`
	Reachable bool    `json:"reachable"`
	Status    int     `json:"status,omitempty" doc:"The SIP status of the phone's answer to OPTIONS"`
	Reason    string  `json:"reason,omitempty"`
	RTTMillis float64 `json:"rttMs,omitempty" doc:"Round trip time of the OPTIONS"`
	Error     string  `json:"error,omitempty"`
}

// Timing of a check: how long the API waits for the fleet, how often it
// looks, and how long the probe stays in the table.
const (
	checkWait  = 6 * time.Second
	checkPoll  = 50 * time.Millisecond
	probeLives = 10 * time.Minute
)

// CheckDevice checks whether a phone answers where it is registered: the
// phone's user or an admin. A phone without registrations is reported
// offline at once.
func (s *Service) CheckDevice(ctx context.Context, p auth.Principal, id string) (ConnectionCheck, error) {
	d, err := s.deviceFor(ctx, p, id)
	if err != nil {
		return ConnectionCheck{}, err
	}
	if d.Kind != model.DevicePhone {
		return ConnectionCheck{}, &Error{Kind: Invalid, Message: "only phones register; a " + d.Kind + " cannot be checked"}
	}
	now := s.now().UTC()
	out := ConnectionCheck{Device: d.ID, CheckedAt: now, Results: []Reach{}}
	regs, err := s.registrations(ctx, p.Account, model.BindingPrefix(d.ID))
	if err != nil {
		return out, err
	}
	if len(regs[d.ID]) == 0 {
		out.Complete = true
		return out, nil
	}
	out.Online = true
	probeID := auth.Random(8)
	k := model.ProbeKey(p.Account, d.ID, probeID)
	probe := model.Probe{PK: k.PK, SK: k.SK, Type: model.TypeProbe, ID: probeID, Account: p.Account, Device: d.ID,
		Requested: now.UnixMilli(), Expires: now.Add(probeLives).Unix()}
	item, err := store.Marshal(probe)
	if err != nil {
		return out, err
	}
	if err := s.store.Write(ctx, store.Put(item).If(store.NotExists())); err != nil {
		return out, fmt.Errorf("write probe: %w", err)
	}
	wait, cancel := context.WithTimeout(ctx, checkWait)
	defer cancel()
	tick := time.NewTicker(checkPoll)
	defer tick.Stop()
	for {
		select {
		case <-wait.Done():
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			for _, r := range regs[d.ID] {
				out.Results = append(out.Results, Reach{Contact: r.Contact, Source: r.Source, Transport: r.Transport,
					Error: "the fleet did not report in time"})
			}
			return out, nil
		case <-tick.C:
		}
		it, err := s.store.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		var got model.Probe
		if err := store.Unmarshal(it, &got); err != nil {
			return out, err
		}
		if !got.Done {
			continue
		}
		out.Complete = true
		for _, r := range got.Results {
			reach := Reach{Contact: r.Contact, Source: r.Source, Transport: r.Transport, Status: r.Status, Reason: r.Reason,
				Reachable: r.Status >= 200 && r.Status < 700 && r.Error == "", Error: r.Error}
			if r.RTTMicros > 0 {
				reach.RTTMillis = float64(r.RTTMicros) / 1000
			}
			out.Reachable = out.Reachable || reach.Reachable
			out.Results = append(out.Results, reach)
		}
		return out, nil
	}
}
