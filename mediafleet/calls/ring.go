package calls

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/events"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/phone"
)

// Causes of a call's end, in records and hangup events.
const (
	CauseCallerHangup = "callerHangup" // the caller sent BYE
	CauseCalleeHangup = "calleeHangup" // the callee sent BYE
	CauseCancelled    = "cancelled"    // the caller gave up before the answer
	CauseBusy         = "busy"         // every phone was busy (486)
	CauseNoAnswer     = "noAnswer"     // nobody answered in time (480)
	CauseUnavailable  = "unavailable"  // no phone could be reached (480)
	CauseDeclined     = "declined"     // the callee declined (603)
	CauseNotFound     = "notFound"     // the target does not exist (404)
	CauseMediaTimeout = "mediaTimeout" // no RTP from either phone for the relay's timeout
	CauseNoAck        = "noAck"        // the caller never acknowledged the answer
	CauseShutdown     = "shutdown"     // the node stopped
	CauseFailed       = "failed"       // anything else
	CauseForwarded    = "forwarded"    // a leg a forwarding rule ended (events only)
)

// maxForwardHops bounds chains of forwarding rules, which may loop.
const maxForwardHops = 5

// outcome is how ringing a destination ended: a fork answered, or the
// status and cause the caller gets.
type outcome struct {
	winner *fork
	status int
	reason string
	cause  string
}

var (
	outUnavailable = outcome{status: sip.StatusTemporarilyUnavailable, reason: "Temporarily Unavailable", cause: CauseUnavailable}
	outNoAnswer    = outcome{status: sip.StatusTemporarilyUnavailable, reason: "Temporarily Unavailable", cause: CauseNoAnswer}
	outCancelled   = outcome{status: sip.StatusRequestTerminated, reason: "Request Terminated", cause: CauseCancelled}
	outShutdown    = outcome{status: sip.StatusServiceUnavailable, reason: "Service Unavailable", cause: CauseShutdown}
)

// ring rings dest, applying its forwarding rules (U7): always forwards
// before ringing, unavailable when no phone can be reached, busy when
// every phone was busy, noAnswer when nobody answered in its time.
// Emergency calls go straight to the trunk.
func (c *call) ring(dest destination, depth int) outcome {
	rules := c.rules(dest)
	if f := rule(rules, "always"); f != nil {
		return c.forward(dest, f, depth)
	}
	targets := c.expand(dest)
	if len(targets) == 0 {
		if f := rule(rules, "unavailable"); f != nil {
			return c.forward(dest, f, depth)
		}
		return outUnavailable
	}
	wait := c.r.cfg.NoAnswer
	noAnswer := rule(rules, "noAnswer")
	if noAnswer != nil && noAnswer.After > 0 {
		wait = time.Duration(noAnswer.After) * time.Second
	}
	out := c.fork(targets, wait)
	var next *model.Forward
	switch out.cause {
	case CauseNoAnswer:
		next = noAnswer
	case CauseBusy:
		next = rule(rules, "busy")
	case CauseUnavailable:
		next = rule(rules, "unavailable")
	}
	if out.winner == nil && next != nil {
		return c.forward(dest, next, depth)
	}
	return out
}

// rules are the forwarding rules of a user or group destination.
func (c *call) rules(dest destination) []model.Forward {
	if dest.emergency {
		return nil
	}
	dir := c.r.deps.Directory
	switch dest.kind {
	case destUser:
		if u, ok := dir.User(dest.account, dest.id); ok {
			return u.Forwarding
		}
	case destGroup:
		if g, ok := dir.Group(dest.account, dest.id); ok {
			return g.Forwarding
		}
	}
	return nil
}

// rule is the first rule of kind when.
func rule(rules []model.Forward, when string) *model.Forward {
	for i := range rules {
		if rules[i].When == when && rules[i].Target != "" {
			return &rules[i]
		}
	}
	return nil
}

// forward rings a rule's target (an extension or a number, read in the
// destination's account) instead of dest.
func (c *call) forward(dest destination, f *model.Forward, depth int) outcome {
	select {
	case <-c.cancelled:
		return outCancelled
	case <-c.r.stop:
		return outShutdown
	default:
	}
	next, ok := c.r.resolve(dest.account, f.Target)
	if !ok || depth >= maxForwardHops || next.kind == destExternal && c.r.cfg.Trunk.Address == "" {
		c.r.log.Info("call forwarding target unreachable", "call", c.id, "when", f.When, "hops", depth+1)
		return outUnavailable
	}
	c.r.log.Debug("call forwarded", "call", c.id, "when", f.When, "hops", depth+1)
	c.divert(next, f.Target)
	return c.ring(next, depth+1)
}

// divert starts a new leg of the call for a forwarding rule, as
// integrations expect: the leg so far ends with a hangup event of cause
// forwarded, and the call goes on under a new call id whose events name
// the first leg's id (origCallId) and the number first dialled
// (diversion). The new leg's newCall is posted to the integration too,
// so that it may subscribe to the leg's answer and hangup; a verb in its
// answer is not followed (the forwarding rule decided where the call
// goes).
func (c *call) divert(next destination, target string) {
	c.publish(events.Hangup, CauseForwarded, "")
	c.mu.Lock()
	if c.origLeg == "" {
		c.origLeg, c.diversion = c.leg, c.to
	}
	c.leg = uuid.NewString()
	c.to = c.forwardedTo(next, target)
	c.users = nil
	if !c.caller.trunk && c.caller.user != nil {
		c.users = append(c.users, c.caller.user.Account+c.caller.user.ID)
	}
	c.mu.Unlock()
	c.reach(next)
	ev := c.event(events.NewCall, "", "")
	c.publishEvent(ev)
	if s := c.r.deps.Steer; s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.r.cfg.SteerTimeout)
		if _, err := s.NewCall(ctx, ev); err != nil {
			c.r.log.Info("newCall webhook of a forwarded leg failed", "call", c.id, "error", err.Error())
		}
		cancel()
	}
}

// fork rings every target at once and waits for the first answer, for
// every target to fail, for wait to pass, or for the caller to cancel.
func (c *call) fork(targets []target, wait time.Duration) outcome {
	c.mu.Lock()
	c.phase++
	phase := c.phase
	c.mu.Unlock()
	finals := make(chan forkResult, len(targets))
	provs := make(chan provisional, 8)
	forks := make([]*fork, len(targets))
	for i, t := range targets {
		forks[i] = &fork{c: c, phase: phase, t: t, abortCh: make(chan struct{})}
		c.forks.Add(1)
		go forks[i].run(finals, provs)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var codes []int
	for pending := len(forks); pending > 0; {
		select {
		case res := <-finals:
			pending--
			if res.answered {
				c.endPhase(forks)
				return outcome{winner: res.f}
			}
			codes = append(codes, res.status)
		case p := <-provs:
			c.provisional(p, len(forks))
		case <-timer.C:
			return c.interrupted(forks, outNoAnswer)
		case <-c.cancelled:
			return c.interrupted(forks, outCancelled)
		case <-c.r.stop:
			return c.interrupted(forks, outShutdown)
		}
	}
	c.endPhase(forks)
	return aggregate(codes)
}

// endPhase stops the forks of the current phase, other than the one that
// won it, and returns the winner (nil if none): a fork may win the moment
// the phase ends.
func (c *call) endPhase(forks []*fork) *fork {
	c.mu.Lock()
	c.phase++
	w := c.winner
	c.mu.Unlock()
	for _, f := range forks {
		if f != w {
			f.abort()
		}
	}
	return w
}

// interrupted ends a phase that the no-answer timer, the caller or the
// router interrupted. A fork that won meanwhile still wins a timeout; it
// is hung up when the caller cancelled or the router stops.
func (c *call) interrupted(forks []*fork, out outcome) outcome {
	w := c.endPhase(forks)
	switch {
	case w == nil:
		return out
	case out.cause == CauseNoAnswer:
		return outcome{winner: w}
	}
	c.mu.Lock()
	b := c.b
	c.b, c.winner = nil, nil
	c.mu.Unlock()
	c.forks.Add(1)
	go func() {
		defer c.forks.Done()
		c.bye(b)
	}()
	return out
}

// aggregate maps the final statuses of every fork to the caller's: busy
// wins over declined, declined over unreachable; 404 only when every
// fork said so.
func aggregate(codes []int) outcome {
	var busy, declined, notFound int
	for _, code := range codes {
		switch code {
		case sip.StatusBusyHere, 600:
			busy++
		case 603:
			declined++
		case sip.StatusNotFound, 410, 484, 604:
			notFound++
		}
	}
	switch {
	case busy > 0:
		return outcome{status: sip.StatusBusyHere, reason: "Busy Here", cause: CauseBusy}
	case declined > 0:
		return outcome{status: 603, reason: "Decline", cause: CauseDeclined}
	case notFound > 0 && notFound == len(codes):
		return outcome{status: sip.StatusNotFound, reason: "Not Found", cause: CauseNotFound}
	}
	return outUnavailable
}

// provisional tells the caller that the call rings: the first 180 or
// 183 of any fork becomes one 180 Ringing. Early media (a 183 with SDP)
// is passed on only when one fork rings, which is how calls through the
// trunk hear the far end's ringback or announcements.
func (c *call) provisional(p provisional, forks int) {
	if p.res.StatusCode == sip.StatusTrying {
		return
	}
	info, err := parseSDP(p.res.Body())
	early := forks == 1 && err == nil && len(p.res.Body()) > 0
	c.mu.Lock()
	if c.own != nil {
		// The caller has the B2BUA's own description already (a prompt,
		// collected digits): a callee's early media reaches it through
		// the relay, and an answered caller hears no 180.
		sendRinging := !c.ringing && !c.preAnswered && !early
		c.ringing = true
		c.mu.Unlock()
		if early {
			c.anchor(Callee, info)
		}
		if sendRinging {
			c.r.send(c.tx, c.r.response(c.invite, sip.StatusRinging, "Ringing", nil, &c.contact))
		}
		return
	}
	if c.ringing && !early {
		c.mu.Unlock()
		return
	}
	c.ringing = true
	c.mu.Unlock()
	if !early {
		c.r.send(c.tx, c.r.response(c.invite, sip.StatusRinging, "Ringing", nil, &c.contact))
		return
	}
	c.anchor(Callee, info)
	body := rewriteSDP(p.res.Body(), c.media.Local(Caller))
	c.a.setSDP(body)
	c.r.send(c.tx, c.r.response(c.invite, 183, "Session Progress", body, &c.contact))
}

// forwardedTo is how a forwarded leg's events name where it goes: a
// number as E.164 digits; for an extension or user, that user's own
// number (its caller id) when it has one, else the number first dialled.
func (c *call) forwardedTo(next destination, target string) string {
	if next.number != "" {
		return next.label(target)
	}
	if next.kind == destUser {
		if u, ok := c.r.deps.Directory.User(next.account, next.id); ok && u.CallerID != "" && u.CallerID != anonymous {
			return phone.Digits(u.CallerID)
		}
	}
	return c.to
}
