package calls

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/mediafleet/media"
	"github.com/switchboard/switchboard/shared/phone"
)

// Steering: an account's integration may decide what happens to a call.
// The newCall webhook's answer names at most one verb: Reject, Hangup,
// Dial (other numbers instead of the routed target), Play (a prompt, then
// the call goes on as routed) or Gather (answer, collect digits, post them
// and be steered again by that answer). Without an answer in time, or
// with one that names no verb, the call goes on as routed: an integration
// never holds a call longer than Config.SteerTimeout.

// Steerer asks an account's integration how to handle calls; the webhook
// deliverer implements it.
type Steerer interface {
	// NewCall posts the newCall event and returns the steering answer,
	// nil for none.
	NewCall(ctx context.Context, ev events.Event) (*webhook.Response, error)
	// Gathered posts the digits a Gather collected to its onData URL and
	// returns the answer that steers on.
	Gathered(ctx context.Context, ev events.Event, onData string) (*webhook.Response, error)
	// Audio fetches a prompt: 8 kHz mono 16-bit linear PCM.
	Audio(ctx context.Context, url string) ([]int16, error)
}

// CauseHungUp ends a call an integration hung up.
const CauseHungUp = "hungUp"

// maxSteps bounds the verbs one call follows (each Gather's answer is one
// more): an integration that answers every Gather with another cannot
// keep a call forever.
const maxSteps = 20

// steer asks the integration about a new call and follows its answer. It
// returns the destinations a Dial named (nil: ring as routed), and done
// when the call was settled by the steering (rejected, hung up, or the
// caller left meanwhile).
func (c *call) steer() (dests []destination, done bool) {
	s := c.r.deps.Steer
	if s == nil || c.dest.emergency || c.caller.peer {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.r.cfg.SteerTimeout)
	resp, err := s.NewCall(ctx, c.newCallEvent)
	cancel()
	if err != nil {
		c.r.log.Warn("newCall webhook failed; the call goes on as routed", "call", c.id, "account", c.account, "error", err.Error())
	}
	for step := 0; resp != nil && resp.Verb != nil; step++ {
		if c.left() {
			c.abandon()
			return nil, true
		}
		if step == maxSteps {
			c.r.log.Info("call steering stopped after too many steps", "call", c.id, "steps", step)
			return nil, false
		}
		switch v := resp.Verb.(type) {
		case webhook.Reject:
			if v.Reason == "busy" {
				c.fail(sip.StatusBusyHere, "Busy Here", CauseBusy)
			} else {
				c.fail(603, "Decline", CauseDeclined)
			}
			return nil, true
		case webhook.Hangup:
			c.fail(603, "Decline", CauseHungUp)
			return nil, true
		case webhook.Dial:
			return c.dial(v)
		case webhook.Play:
			if !c.prompt(v.URL, nil) {
				c.abandon()
				return nil, true
			}
			return nil, false
		case webhook.Gather:
			digits, ok := c.gather(v)
			if !ok {
				c.abandon()
				return nil, true
			}
			ev := c.event(events.DTMF, "", digits)
			ctx, cancel := context.WithTimeout(context.Background(), c.r.cfg.SteerTimeout)
			resp, err = s.Gathered(ctx, ev, v.OnData)
			cancel()
			if err != nil {
				c.r.log.Warn("gathered digits not posted; the call goes on as routed", "call", c.id, "error", err.Error())
			}
		default:
			return nil, false
		}
	}
	return nil, false
}

// left reports whether the caller gave up (CANCEL, or BYE once the B2BUA
// answered it) or the router stops.
func (c *call) left() bool {
	select {
	case <-c.cancelled:
		return true
	case <-c.r.stop:
		return true
	default:
		return false
	}
}

// abandon ends a call whose caller left, or whose router stops, while it
// was being steered.
func (c *call) abandon() {
	if isCancelled(c.cancelled) {
		c.fail(sip.StatusRequestTerminated, "Request Terminated", CauseCancelled)
		return
	}
	c.fail(sip.StatusServiceUnavailable, "Service Unavailable", CauseShutdown)
}

// dial resolves the numbers of a Dial in the call's account: extensions,
// the account's numbers and users, and external numbers. A Dial that
// names only the voicemail rings as routed: voicemail is not offered yet.
func (c *call) dial(v webhook.Dial) ([]destination, bool) {
	var out []destination
	for _, n := range v.Numbers {
		d := strings.TrimSpace(n)
		if isNumber(d) && !strings.HasPrefix(d, "+") && !strings.HasPrefix(d, "0") && len(d) > 6 {
			d = "+" + d // E.164 digits without the plus, as the format writes numbers
		}
		dest, ok := c.r.resolve(c.account, d)
		if !ok || dest.kind == destExternal && c.r.cfg.Trunk.Address == "" {
			c.r.log.Info("a number of a Dial reaches nothing", "call", c.id)
			continue
		}
		out = append(out, dest)
	}
	if len(out) == 0 {
		if len(v.Numbers) == 0 {
			return nil, false
		}
		c.fail(sip.StatusNotFound, "Not Found", CauseNotFound)
		return nil, true
	}
	c.mu.Lock()
	c.present = presentAs{set: true, anonymous: v.Anonymous}
	if v.CallerID != "" {
		if e164, err := phone.Normalize("+"+strings.TrimPrefix(v.CallerID, "+"), c.r.cfg.Region); err == nil {
			c.present.number = e164
		}
	}
	c.mu.Unlock()
	for _, d := range out {
		c.reach(d)
	}
	return out, false
}

// presentAs is the caller id a Dial asked for.
type presentAs struct {
	set       bool
	anonymous bool
	number    string // E.164, "" for the default
}

// ringAll rings several destinations in parallel (a Dial), each expanded
// as ring would but without their forwarding rules.
func (c *call) ringAll(dests []destination) outcome {
	var targets []target
	for _, d := range dests {
		targets = append(targets, c.expand(d)...)
	}
	if len(targets) == 0 {
		return outUnavailable
	}
	return c.fork(targets, c.r.cfg.NoAnswer)
}

// takeMedia makes the B2BUA the caller's media peer: it chooses the codec
// of its own session description (the first G.711 codec of the offer)
// and from now on offers only that to callees. It reports false when the
// caller offered no G.711.
func (c *call) takeMedia() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.own != nil {
		return true
	}
	codec := c.offer.g711Codec()
	if codec == "" {
		return false
	}
	c.codec = codec
	c.own = ownSDP(c.media.Local(Caller), codec, c.offer.Events, c.start.Unix())
	c.body = c.own
	c.a.setSDP(c.own)
	return true
}

// earlyMedia sends the caller a 183 with the B2BUA's own session
// description, so that it hears a prompt before anyone answers.
func (c *call) earlyMedia() bool {
	if !c.takeMedia() {
		return false
	}
	c.mu.Lock()
	early := c.early
	c.early = true
	c.mu.Unlock()
	if !early {
		c.r.send(c.tx, c.r.response(c.invite, 183, "Session Progress", c.own, &c.contact))
	}
	return true
}

// preAnswer answers the caller itself (200 with its own session
// description) to collect digits; the caller's ACK is awaited, and the
// 200 retransmitted meanwhile, by a goroutine of its own.
func (c *call) preAnswer() bool {
	if !c.takeMedia() {
		return false
	}
	c.mu.Lock()
	if c.preAnswered {
		c.mu.Unlock()
		return true
	}
	c.preAnswered = true
	c.status = sip.StatusOK
	c.mu.Unlock()
	ok := c.r.response(c.invite, sip.StatusOK, "OK", c.own, &c.contact,
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, INFO, OPTIONS"))
	c.r.send(c.tx, ok)
	// Not one of c.forks: finish waits for those, and confirm ends with
	// the call (c.ended), which finish closes after them.
	go c.confirm(ok)
	return true
}

// confirm retransmits a 200 to a caller on UDP until its ACK arrives
// (RFC 3261 section 13.3.1.4); without an ACK in time the caller is
// taken as gone.
func (c *call) confirm(ok *sip.Response) {
	var retransmit <-chan time.Time
	interval := sip.T1
	t := time.NewTimer(interval)
	defer t.Stop()
	if strings.EqualFold(c.invite.Transport(), "udp") {
		retransmit = t.C
	}
	noAck := time.NewTimer(c.r.cfg.AckTimeout)
	defer noAck.Stop()
	for {
		select {
		case <-c.acked:
			return
		case <-retransmit:
			c.r.send(c.tx, ok)
			interval = min(2*interval, sip.T2)
			t.Reset(interval)
		case <-noAck.C:
			c.r.log.Info("caller never acknowledged the answer", "call", c.id)
			c.cancel()
			return
		case <-c.ended:
			return
		}
	}
}

// fetch gets a prompt, within the steering timeout; nil when it cannot.
func (c *call) fetch(url string) []int16 {
	ctx, cancel := context.WithTimeout(context.Background(), c.r.cfg.SteerTimeout)
	defer cancel()
	samples, err := c.r.deps.Steer.Audio(ctx, url)
	if err != nil {
		c.r.log.Info("prompt not played", "call", c.id, "error", err.Error())
		return nil
	}
	return samples
}

// prompt plays the WAV file at url to the caller, as early media before
// the answer. It returns false when the caller left meanwhile; a prompt
// that cannot be fetched or played is skipped.
func (c *call) prompt(url string, stop <-chan struct{}) bool {
	return c.playTo(c.fetch(url), stop)
}

// playTo plays samples to the caller (see prompt).
func (c *call) playTo(samples []int16, stop <-chan struct{}) bool {
	if len(samples) == 0 {
		return !c.left()
	}
	c.mu.Lock()
	answered := c.preAnswered
	c.mu.Unlock()
	if !answered && !c.earlyMedia() {
		c.r.log.Info("prompt not played: the caller offered no G.711", "call", c.id)
		return !c.left()
	}
	quit := make(chan struct{})
	go func() {
		defer close(quit)
		select {
		case <-stop:
		case <-c.cancelled:
		case <-c.r.stop:
		case <-c.ended:
		}
	}()
	_ = c.player().play(samples, quit)
	return !c.left()
}

// player sends to the caller's phone in the call's codec.
func (c *call) player() *player {
	return newPlayer(c.codec, func(pkt []byte) bool { return c.media.Send(Caller, pkt) })
}

// gather answers the call, plays the Gather's prompt and collects up to
// MaxDigits digits (RFC 4733 events in the caller's RTP, or SIP INFO);
// the first digit stops the prompt. Collecting ends at MaxDigits or when
// Timeout passes without a digit after the prompt ended. ok is false when
// the caller left meanwhile.
func (c *call) gather(g webhook.Gather) (digits string, ok bool) {
	// Watch before answering: a phone may send its first digit as soon
	// as it has the 200.
	tones := make(chan byte, 32)
	if pt, err := strconv.Atoi(c.offer.Events); err == nil && pt >= 0 && pt < 128 {
		c.media.WatchEvents(Caller, uint8(pt), func(code uint8) {
			if d := media.EventDigit(code); d != 0 {
				select {
				case tones <- d:
				default:
				}
			}
		})
		defer c.media.WatchEvents(Caller, uint8(pt), nil)
	}
	if !c.preAnswer() {
		c.r.log.Info("digits not collected: the caller offered no G.711", "call", c.id)
		return "", !c.left()
	}
	var samples []int16
	if g.Play != nil {
		samples = c.fetch(g.Play.URL)
	}
	stopPlay := make(chan struct{})
	played := make(chan struct{})
	go func() {
		defer close(played)
		c.playTo(samples, stopPlay)
	}()
	defer func() { <-played }()
	var once bool
	stop := func() {
		if !once {
			once = true
			close(stopPlay)
		}
	}
	defer stop()
	var timeout <-chan time.Time
	var timer *time.Timer
	arm := func() {
		if timer == nil {
			timer = time.NewTimer(g.Timeout)
		} else {
			timer.Reset(g.Timeout)
		}
		timeout = timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	playing := played
	limit := max(g.MaxDigits, 1)
	for {
		select {
		case <-playing:
			playing = nil
			arm()
		case d := <-tones:
			digits += string(d)
		case d := <-c.dtmf:
			digits += d
		case <-timeout:
			return digits, true
		case <-c.cancelled:
			return "", false
		case <-c.r.stop:
			return "", false
		case <-c.media.Done():
			return "", false
		}
		if len(digits) >= limit {
			return digits[:limit], true
		}
		stop()
		if playing == nil {
			arm()
		}
	}
}
