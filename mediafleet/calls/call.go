package calls

import (
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/phone"
)

// Directions of a call, in records and events.
const (
	DirectionIn       = "in"       // from the trunk to an account's number
	DirectionOut      = "out"      // from a phone to an external number
	DirectionInternal = "internal" // from a phone to the same account
)

// callState is where a call is in its life.
type callState uint8

const (
	stateRinging  callState = iota
	stateAnswered           // 200 sent to the caller
	stateEnding             // hanging up
)

// call is one call through the B2BUA: the caller's dialog, the callee
// forks while it rings, the answering callee's dialog once answered, and
// the relay session between them.
type call struct {
	r         *Router
	id        string // names the call in records and events
	account   string
	direction string
	from, to  string // the parties as records and events name them
	caller    caller
	dest      destination
	start     time.Time

	invite  *sip.Request // the caller's INVITE, with our To tag
	tx      sip.ServerTransaction
	a       *dialog
	offer   sdpInfo
	body    []byte // the caller's offer
	contact sip.ContactHeader
	media   MediaSession

	cancelled  chan struct{} // the caller cancelled (or hung up) before the answer
	cancelOnce sync.Once
	acked      chan struct{} // the caller's ACK for our 200 arrived
	ackOnce    sync.Once
	ended      chan struct{} // closed by finish
	hangups    chan string   // causes of hangups asked for once answered
	dtmf       chan string   // digits the phones sent with SIP INFO
	forks      sync.WaitGroup

	mu         sync.Mutex
	state      callState
	phase      int // forks of older ring phases may not answer
	winner     *fork
	b          *dialog
	answerRes  *sip.Response
	answered   time.Time
	answeredBy string
	ringing    bool // 180 or 183 sent to the caller
	reinviting bool
	users      []string // full user ids the call reached
	devices    []string // devices involved: the caller's and those rung
	status     int      // the final status the caller got

	// Steering (steer.go): the newCall event the integration was sent,
	// the caller id a Dial asked for, and the B2BUA's own session
	// description once it took the caller's media (a prompt or digits
	// collected): then early is set once a 183 carried it, preAnswered
	// once a 200 did, and codec is the G.711 payload type it chose.
	newCallEvent events.Event
	// leg is the call id events name (c.id until a forwarding rule
	// starts a new leg, see divert); origLeg the first leg's, diversion
	// what the first leg was for.
	leg, origLeg, diversion string
	present                 presentAs
	own                     []byte
	codec                   string
	early                   bool
	preAnswered             bool
}

// newCall makes the call and enters its dialog in the router's table; ok
// is false when the Call-ID is taken.
func (r *Router) newCall(req *sip.Request, tx sip.ServerTransaction, from caller, dest destination, d string, offer sdpInfo) (*call, bool) {
	c := &call{
		r: r, id: uuid.NewString(), account: dest.account, caller: from, dest: dest,
		start: r.cfg.Clock(), tx: tx, offer: offer, body: req.Body(),
		cancelled: make(chan struct{}), acked: make(chan struct{}), ended: make(chan struct{}),
		hangups: make(chan string, 2), dtmf: make(chan string, 16),
	}
	switch {
	case from.trunk:
		c.direction = DirectionIn
	case dest.kind == destExternal:
		c.direction = DirectionOut
	default:
		c.direction = DirectionInternal
	}
	if from.peer {
		c.account = from.account
	} else if !from.trunk {
		c.account = from.account
		c.addDevice(from.device.ID)
		if from.user != nil {
			c.addUser(from.user.Account + from.user.ID)
		}
	}
	c.leg = c.id
	c.from = c.presentedFrom()
	c.to = dest.label(d)
	c.contact = r.contactFor(req, tx)
	c.invite = req.Clone()
	c.invite.To().Params.Add("tag", sip.GenerateTagN(16))
	tag, _ := c.invite.To().Params.Get("tag")
	c.a = uasDialog(req, tag, c.contact, r.deps.Node != nil && !c.caller.trunk)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.dialogs[c.a.callID]; taken {
		return nil, false
	}
	r.dialogs[c.a.callID] = legRef{c: c, side: Caller}
	return c, true
}

// presentedFrom is the caller as records and events name it: the E.164
// digits of the caller id, else the extension or device id of an
// internal caller, else "anonymous".
func (c *call) presentedFrom() string {
	if c.caller.peer {
		return c.caller.fromUser
	}
	if c.caller.trunk {
		if c.caller.number == "" {
			return anonymous
		}
		return phone.Digits(c.caller.number)
	}
	if n := c.callerID(); n != "" {
		return phone.Digits(n)
	}
	if c.dest.kind == destExternal {
		return anonymous // what the far end sees of a user without a caller id
	}
	if u := c.caller.user; u != nil && u.Extension != "" {
		return u.Extension
	}
	return c.caller.device.ID
}

// contactFor is the B2BUA's Contact in a call: the node's address the
// INVITE arrived at, so that in-dialog requests of both phones reach the
// node.
func (r *Router) contactFor(req *sip.Request, tx sip.ServerTransaction) sip.ContactHeader {
	addr := r.via
	if ct, ok := tx.(interface{ Connection() sip.Connection }); ok && ct.Connection() != nil {
		if ap, err := netip.ParseAddrPort(ct.Connection().LocalAddr().String()); err == nil && !ap.Addr().IsUnspecified() {
			addr = ap
		}
	}
	if r.cfg.Advertise.IsValid() {
		addr = netip.AddrPortFrom(r.cfg.Advertise, addr.Port())
	}
	u := sip.Uri{Scheme: "sip", User: "b2bua", Host: addr.Addr().String(), Port: int(addr.Port()), UriParams: sip.NewParams()}
	if req.Transport() == "TCP" {
		u.UriParams.Add("transport", "tcp")
	}
	return sip.ContactHeader{Address: u, Params: sip.NewParams()}
}

func (c *call) addUser(id string) {
	for _, u := range c.users {
		if u == id {
			return
		}
	}
	c.users = append(c.users, id)
}

func (c *call) addDevice(id string) {
	for _, d := range c.devices {
		if d == id {
			return
		}
	}
	c.devices = append(c.devices, id)
}

// setup runs the call until it is answered or has failed, inside the
// caller's INVITE handler.
func (c *call) setup() {
	r := c.r
	r.send(c.tx, r.response(c.invite, sip.StatusTrying, "Trying", nil))
	c.reach(c.dest)
	c.newCallEvent = c.event(events.NewCall, "", "")
	c.publishEvent(c.newCallEvent)
	var err error
	if c.media, err = r.deps.Media.Open(c.id); err != nil {
		r.log.Warn("no media session for a call", "call", c.id, "error", err.Error())
		c.fail(sip.StatusServiceUnavailable, "Service Unavailable", CauseFailed)
		return
	}
	c.anchor(Caller, c.offer)
	if !c.tx.OnCancel(func(*sip.Request) { c.cancel() }) {
		c.cancel()
	}
	dests, done := c.steer()
	if done {
		return
	}
	var out outcome
	if dests != nil {
		out = c.ringAll(dests)
	} else {
		out = c.ring(c.dest, 0)
	}
	if out.winner == nil {
		c.fail(out.status, out.reason, out.cause)
		return
	}
	c.answer(out.winner)
}

// reach notes the users a destination reaches, for the newCall event.
func (c *call) reach(dest destination) {
	dir := c.r.deps.Directory
	switch dest.kind {
	case destUser:
		c.addUser(dest.account + dest.id)
	case destGroup:
		if g, ok := dir.Group(dest.account, dest.id); ok {
			for _, m := range g.Members {
				c.addUser(dest.account + m)
			}
		}
	case destDevice:
		if dev, ok := dir.Device(dest.id); ok && dev.Owner != "" {
			if _, ok := dir.User(dev.Account, dev.Owner); ok {
				c.addUser(dev.Account + dev.Owner)
			}
		}
	}
}

// cancel records that the caller gave up before the answer.
func (c *call) cancel() {
	c.cancelOnce.Do(func() { close(c.cancelled) })
}

// anchor hands the relay a side's session description: where its phone
// wants RTP, and whether it holds the call.
func (c *call) anchor(side Side, info sdpInfo) {
	if a := info.Addr; a.Addr().IsValid() && !a.Addr().IsUnspecified() {
		if err := c.media.SetRemote(side, a); err != nil {
			c.r.log.Debug("media address refused", "call", c.id, "side", side.String(), "error", err.Error())
		}
	}
	c.media.SetHold(side, info.holds())
}

// fail answers the caller with a final error (unless the caller
// cancelled, which sipgo answered with 487 already) and ends the call.
// A caller the B2BUA answered itself (to collect digits) gets a BYE
// instead, unless it hung up.
func (c *call) fail(code int, reason string, cause string) {
	c.mu.Lock()
	answered := c.preAnswered
	c.mu.Unlock()
	switch {
	case answered && c.left():
		cause = CauseCallerHangup
		select {
		case <-c.cancelled:
		default:
			cause = CauseShutdown
			c.bye(c.a)
		}
	case answered:
		c.bye(c.a)
	case isCancelled(c.cancelled):
		code, cause = sip.StatusRequestTerminated, CauseCancelled
	default:
		c.r.send(c.tx, c.r.response(c.invite, code, reason, nil))
	}
	c.mu.Lock()
	if !answered {
		c.status = code
	}
	c.state = stateEnding
	c.mu.Unlock()
	c.finish(cause)
}

func isCancelled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// callerID is the E.164 number an internal caller presents, or "".
func (c *call) callerID() string {
	if u := c.caller.user; u != nil && u.CallerID != "" && u.CallerID != anonymous {
		return u.CallerID
	}
	return ""
}

// anonymous is the caller id that hides the number.
const anonymous = "anonymous"
