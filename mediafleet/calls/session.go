package calls

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/mediafleet/media"
)

// reinviteLimit bounds the wait for the other phone's answer to a
// re-INVITE or INFO passed on to it (Timer B of RFC 3261).
const reinviteLimit = 32 * time.Second

// answer completes the call with the fork that won it: the caller gets a
// 200 with the callee's answer on the relay's caller-side address, and
// the call goes on in a goroutine of the router's until it ends.
func (c *call) answer(w *fork) {
	r := c.r
	select {
	case <-c.cancelled:
		// The caller cancelled as the callee answered.
		c.mu.Lock()
		b := c.b
		c.mu.Unlock()
		c.bye(b)
		c.fail(sip.StatusRequestTerminated, "Request Terminated", CauseCancelled)
		return
	default:
	}
	c.mu.Lock()
	res, b := c.answerRes, c.b
	c.state, c.status = stateAnswered, sip.StatusOK
	c.answered = r.cfg.Clock()
	c.answeredBy = w.t.device
	if w.t.trunk() && w.t.device == "" {
		c.answeredBy = w.t.external
	}
	own, preAnswered := c.own, c.preAnswered
	c.mu.Unlock()
	r.enterDialog(b.callID, legRef{c: c, side: Callee})
	b.setSDP(rewriteSDP(c.body, c.media.Local(Callee)))
	c.watchDTMF(res.Body())
	var ok *sip.Response
	if !preAnswered {
		// A caller that had the B2BUA's own description in a 183 gets
		// the same in the 200: the callee was offered its codec.
		body := own
		if body == nil {
			body = rewriteSDP(res.Body(), c.media.Local(Caller))
		}
		c.a.setSDP(body)
		ok = r.response(c.invite, sip.StatusOK, "OK", body, &c.contact,
			sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, INFO, OPTIONS"))
		r.send(c.tx, ok)
	}
	c.publish(events.Answer, "", "")
	r.active.Add(1) // the handler still counts, so Run's Wait cannot have returned
	go c.run(ok)
}

// watchDTMF turns the RFC 4733 telephone events both phones send into
// DTMF events of the call, when both named telephone-event: the caller
// in its offer, the callee in its answer.
func (c *call) watchDTMF(answer []byte) {
	callee, err := parseSDP(answer)
	if err != nil {
		return
	}
	for side, pt := range map[Side]string{Caller: c.offer.Events, Callee: callee.Events} {
		n, err := strconv.Atoi(pt)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		c.media.WatchEvents(side, uint8(n), func(code uint8) {
			if d := media.EventDigit(code); d != 0 {
				select {
				case c.dtmf <- string(d):
				default:
				}
			}
		})
	}
}

// run keeps an answered call until it ends: it retransmits the 200 to a
// caller on UDP until the ACK arrives (RFC 3261 section 13.3.1.4), passes
// DTMF on as events, and hangs up on BYE from either phone, on the relay's
// RTP timeout, on a missing ACK or when the router stops.
func (c *call) run(ok *sip.Response) {
	defer c.r.active.Done()
	c.hangup(c.wait(ok))
}

func (c *call) wait(ok *sip.Response) string {
	var retransmit <-chan time.Time
	interval := sip.T1
	t := time.NewTimer(interval)
	defer t.Stop()
	if ok != nil && strings.EqualFold(c.invite.Transport(), "udp") {
		retransmit = t.C
	}
	noAck := time.NewTimer(c.r.cfg.AckTimeout)
	defer noAck.Stop()
	acked := c.acked
	if ok == nil {
		// The B2BUA answered the caller before (preAnswer), and confirm
		// saw to its ACK; a caller that never sent one cancelled.
		acked, retransmit = nil, nil
		noAck.Stop()
	}
	for {
		select {
		case <-acked:
			acked, retransmit = nil, nil
			noAck.Stop()
		case <-retransmit:
			c.r.send(c.tx, ok)
			interval = min(2*interval, sip.T2)
			t.Reset(interval)
		case <-noAck.C:
			return CauseNoAck
		case cause := <-c.hangups:
			return cause
		case digits := <-c.dtmf:
			c.publish(events.DTMF, "", digits)
		case <-c.cancelled:
			// Only a caller the B2BUA answered itself gets here: it left
			// (or never acknowledged) just as the callee answered.
			return CauseCallerHangup
		case <-c.media.Done():
			if c.media.TimedOut() {
				return CauseMediaTimeout
			}
			return CauseShutdown
		case <-c.r.stop:
			return CauseShutdown
		}
	}
}

// hangup ends an answered call: BYE to whichever phone did not hang up
// (both, when neither did), then the record and the hangup event.
func (c *call) hangup(cause string) {
	c.mu.Lock()
	c.state = stateEnding
	b := c.b
	c.mu.Unlock()
	var wg sync.WaitGroup
	if cause != CauseCallerHangup {
		wg.Go(func() { c.bye(c.a) })
	}
	if cause != CauseCalleeHangup {
		wg.Go(func() { c.bye(b) })
	}
	wg.Wait()
	c.finish(cause)
}

// bye sends BYE in a dialog and waits for its answer, at most
// Config.Hangup.
func (c *call) bye(d *dialog) {
	if d == nil {
		return
	}
	if _, err := c.r.do(d.request(sip.BYE, nil, ""), c.r.cfg.Hangup, nil); err != nil {
		c.r.log.Debug("BYE not answered", "call", c.id, "error", err.Error())
	}
}

// finish ends a call that is over: it waits for its forks, closes the
// relay session, forgets the dialogs and writes the record and the
// hangup event.
func (c *call) finish(cause string) {
	c.forks.Wait()
	var stats MediaStats
	if c.media != nil {
		_ = c.media.Close()
		stats = c.media.Stats()
	}
	c.r.forget(c)
	close(c.ended)
	c.record(cause, stats)
	c.publish(events.Hangup, cause, "")
}

// forget removes every dialog of a call from the table.
func (r *Router) forget(c *call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, l := range r.dialogs {
		if l.c == c {
			delete(r.dialogs, id)
		}
	}
}

// lookup finds the call a request's Call-ID belongs to.
func (r *Router) lookup(callID string) (legRef, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.dialogs[callID]
	return l, ok
}

// dialogOf is the established dialog on a side, nil if there is none.
func (c *call) dialogOf(side Side) *dialog {
	if side == Caller {
		return c.a
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b
}

// inDialog handles BYE, INFO and re-INVITE from either phone.
func (r *Router) inDialog(req *sip.Request, tx sip.ServerTransaction) {
	cseq := req.CSeq()
	if req.CallID() == nil || cseq == nil || req.From() == nil || req.To() == nil || req.Via() == nil {
		r.respond(tx, req, sip.StatusBadRequest, "Missing Header")
		return
	}
	if cseq.MethodName != req.Method {
		r.respond(tx, req, sip.StatusBadRequest, "CSeq Method Mismatch")
		return
	}
	l, ok := r.lookup(req.CallID().Value())
	var d *dialog
	if ok {
		d = l.c.dialogOf(l.side)
	}
	if d == nil || !d.matches(tags(req)) {
		r.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if !d.receive(req) {
		r.respond(tx, req, sip.StatusInternalServerError, "CSeq Out Of Order")
		return
	}
	c := l.c
	switch req.Method {
	case sip.BYE:
		r.respond(tx, req, sip.StatusOK, "OK")
		c.byeFrom(l.side)
	case sip.INVITE:
		c.reinvite(l.side, req, tx)
	case sip.INFO:
		c.info(l.side, req, tx)
	}
}

// byeFrom handles a BYE a phone sent: before the answer the caller's
// BYE cancels the call (RFC 3261 section 15), after it either phone's
// ends the call.
func (c *call) byeFrom(side Side) {
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	switch {
	case state == stateRinging && side == Caller:
		c.mu.Lock()
		answered := c.preAnswered
		c.mu.Unlock()
		if !answered {
			c.r.send(c.tx, c.r.response(c.invite, sip.StatusRequestTerminated, "Request Terminated", nil))
		}
		c.cancel()
	case state == stateAnswered:
		cause := CauseCallerHangup
		if side == Callee {
			cause = CauseCalleeHangup
		}
		select {
		case c.hangups <- cause:
		default:
		}
	}
}

// ack handles an ACK: the caller's for our 200 confirms the call; ACKs of
// answers to re-INVITEs need nothing.
func (r *Router) ack(req *sip.Request) {
	if req.CallID() == nil || req.CSeq() == nil {
		return
	}
	l, ok := r.lookup(req.CallID().Value())
	if !ok || l.side != Caller || !l.c.a.matches(tags(req)) {
		return
	}
	c := l.c
	if req.CSeq().SeqNo == c.invite.CSeq().SeqNo {
		c.ackOnce.Do(func() { close(c.acked) })
	}
}

// reinvite passes a re-INVITE (hold, resume, a moved stream) from one
// phone to the other, each with the relay's address in the SDP. A
// re-INVITE without SDP (a session refresh) is answered with the SDP
// last sent to that phone and not passed on. One re-INVITE at a time:
// another meanwhile gets 491 (RFC 3261 section 14.2).
func (c *call) reinvite(side Side, req *sip.Request, tx sip.ServerTransaction) {
	r := c.r
	c.mu.Lock()
	switch {
	case c.state != stateAnswered || c.b == nil:
		c.mu.Unlock()
		r.respond(tx, req, sip.StatusRequestPending, "Request Pending", sip.NewHeader("Retry-After", "1"))
		return
	case c.reinviting:
		c.mu.Unlock()
		r.respond(tx, req, sip.StatusRequestPending, "Request Pending")
		return
	}
	c.reinviting = true
	c.mu.Unlock()
	res := c.passReinvite(side, req)
	// The phone may send its next re-INVITE as soon as it has the answer.
	c.mu.Lock()
	c.reinviting = false
	c.mu.Unlock()
	r.send(tx, res)
}

// passReinvite does the work of reinvite and returns the answer for the
// phone that sent it.
func (c *call) passReinvite(side Side, req *sip.Request) *sip.Response {
	r := c.r
	mine, other := c.dialogOf(side), c.dialogOf(side.other())
	if len(req.Body()) == 0 {
		return r.response(req, sip.StatusOK, "OK", mine.lastSDP(), &c.contact)
	}
	info, err := parseSDP(req.Body())
	if err != nil || !isSDP(req) {
		return r.response(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
	}
	c.anchor(side, info)
	offer := rewriteSDP(req.Body(), c.media.Local(side.other()))
	fwd := other.request(sip.INVITE, offer, "application/sdp")
	res, err := r.do(fwd, reinviteLimit, r.stop)
	if err != nil {
		return r.response(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
	}
	if !res.IsSuccess() {
		return r.response(req, res.StatusCode, res.Reason, nil)
	}
	other.setSDP(offer)
	if err := r.write(other.ackFor(fwd.CSeq().SeqNo)); err != nil {
		r.log.Debug("ACK not sent", "call", c.id, "error", err.Error())
	}
	answer, err := parseSDP(res.Body())
	if err != nil {
		return r.response(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
	}
	c.anchor(side.other(), answer)
	body := rewriteSDP(res.Body(), c.media.Local(side))
	mine.setSDP(body)
	return r.response(req, sip.StatusOK, "OK", body, &c.contact)
}

// info passes an INFO on to the other phone and its answer back; DTMF
// sent this way (application/dtmf-relay, application/dtmf) also becomes
// a DTMF event.
func (c *call) info(side Side, req *sip.Request, tx sip.ServerTransaction) {
	r := c.r
	c.mu.Lock()
	answered, collecting := c.state == stateAnswered, c.preAnswered && c.state == stateRinging && side == Caller
	c.mu.Unlock()
	other := c.dialogOf(side.other())
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	if d := dtmfDigits(ct, req.Body()); d != "" && (collecting || answered && other != nil) {
		select {
		case c.dtmf <- d:
		default:
		}
	}
	if collecting {
		// The B2BUA answered the caller to collect digits: it takes the
		// INFO itself.
		r.respond(tx, req, sip.StatusOK, "OK")
		return
	}
	if !answered || other == nil {
		r.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	res, err := r.do(other.request(sip.INFO, req.Body(), ct), reinviteLimit, r.stop)
	if err != nil {
		r.respond(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	r.respond(tx, req, res.StatusCode, res.Reason)
}

// dtmfDigits reads the digit of a SIP INFO DTMF body: "Signal=5" in
// application/dtmf-relay, or the bare digit in application/dtmf.
func dtmfDigits(contentType string, body []byte) string {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	var v string
	switch strings.TrimSpace(ct) {
	case "application/dtmf-relay":
		for _, l := range strings.Split(string(body), "\n") {
			k, val, ok := strings.Cut(strings.TrimSpace(l), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				v = strings.TrimSpace(val)
			}
		}
	case "application/dtmf":
		v = strings.TrimSpace(string(body))
	}
	if len(v) == 1 && strings.Contains("0123456789*#ABCDabcd", v) {
		return strings.ToUpper(v)
	}
	return ""
}

// reack acknowledges a retransmitted 2xx of the answering callee again:
// our ACK was lost.
func (c *call) reack(res *sip.Response) {
	c.mu.Lock()
	b := c.b
	c.mu.Unlock()
	if b == nil || res.CallID().Value() != b.callID || !b.matches(tagPair{from: tags(res).to, to: tags(res).from}) {
		return
	}
	if err := c.r.write(b.ackFor(res.CSeq().SeqNo)); err != nil {
		c.r.log.Debug("ACK not sent", "call", c.id, "error", err.Error())
	}
}
