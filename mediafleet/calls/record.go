package calls

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// TypeCall is the entity type of call records.
const TypeCall = model.TypeCall

// RecordsPrefix starts the sort keys of an account's call records.
const RecordsPrefix = model.CallsPrefix

// RecordKey addresses the record of a call in its account's partition.
func RecordKey(account string, start time.Time, callID string) store.Key {
	return model.CallKey(account, start, callID)
}

// Record is what the table keeps of a call once it ended; the model owns
// it so that the API reads what the fleet writes.
type Record = model.Call

// recordTimeout bounds the table write of a record and the publishing of
// one event.
const recordTimeout = 5 * time.Second

// record writes the call's record to its account's partition. A failure
// is logged: the call is over either way.
func (c *call) record(cause string, stats MediaStats) {
	if c.caller.peer {
		return // the node that took the call keeps its record
	}
	c.mu.Lock()
	rec := Record{
		Type: TypeCall, ID: c.id, SIPCallID: c.a.callID, Account: c.account, Direction: c.direction,
		From: c.from, To: c.to, Users: slices.Clone(c.users), Devices: slices.Clone(c.devices),
		AnsweredBy: c.answeredBy, Start: c.start.UTC(), End: c.r.cfg.Clock().UTC(),
		Status: c.status, Cause: cause, Media: stats,
	}
	if c.diversion != "" {
		rec.To = c.diversion // the record is of the call as dialled
	}
	if !c.answered.IsZero() {
		t := c.answered.UTC()
		rec.Answer = &t
	}
	c.mu.Unlock()
	if c.caller.device != nil {
		rec.Caller = c.caller.device.ID
	}
	k := RecordKey(rec.Account, rec.Start, rec.ID)
	rec.PK, rec.SK = k.PK, k.SK
	item, err := store.Marshal(rec)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
		defer cancel()
		err = c.r.deps.Store.Write(ctx, store.Put(item))
	}
	if err != nil {
		c.r.log.Warn("call record not written", "call", c.id, "account", rec.Account, "error", err.Error())
		return
	}
	c.r.log.Info("call ended", "call", c.id, "account", rec.Account, "direction", rec.Direction,
		"status", rec.Status, "cause", cause, "answered_by", rec.AnsweredBy,
		"duration", rec.End.Sub(rec.Start).Round(time.Millisecond).String())
}

// publish emits one event of the call. Events of a call are published by
// one goroutine at a time, in order: newCall and answer by the INVITE
// handler, DTMF and hangup by the goroutine that ends the call.
func (c *call) publish(typ events.Type, cause, digits string) {
	c.publishEvent(c.event(typ, cause, digits))
}

// event describes the call as it is now.
func (c *call) event(typ events.Type, cause, digits string) events.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return events.Event{
		ID: uuid.NewString(), Type: typ, Account: c.account, Time: c.r.cfg.Clock().UTC(),
		Call: &events.Call{
			ID: c.leg, Direction: c.direction, From: c.from, To: c.to, Users: slices.Clone(c.users),
			Answered: c.answeredBy, Cause: cause, Digits: digits, OrigID: c.origLeg, Diversion: c.diversion,
		},
	}
}

func (c *call) publishEvent(ev events.Event) {
	if c.caller.peer {
		return // the node that took the call publishes its events
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	if err := c.r.deps.Events.Publish(ctx, ev); err != nil {
		c.r.log.Warn("call event not published", "call", c.id, "type", string(ev.Type), "error", err.Error())
	}
}
