package calls

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/icholy/digest"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/shared/model"
)

// target is one place a call rings: a registered contact of a phone, or
// an external number through the trunk.
type target struct {
	device    string  // the phone's or external phone's id ("" for a dialled external number)
	user      string  // the full id of the user whose endpoint it is, if any
	uri       sip.Uri // the Request-URI
	dest      string  // host:port the INVITE goes to
	transport string
	external  string // E.164 (or emergency number) rung through the trunk
	peer      bool   // the fleet node where the phone is registered (peer.go)
}

func (t target) trunk() bool { return t.external != "" }

// expand lists where dest rings: a user's enabled phones (each
// registered contact) and external phones, only one of them when a
// number says so; every member's phones for a group; one endpoint; or an
// external number. The caller's own phone never rings.
func (c *call) expand(dest destination) []target {
	dir := c.r.deps.Directory
	var out []target
	switch dest.kind {
	case destUser:
		u, ok := dir.User(dest.account, dest.id)
		if !ok {
			return nil
		}
		c.addUser(u.Account + u.ID)
		if u.Locked {
			return nil
		}
		for _, dev := range dir.Devices(dest.account, u.ID) {
			if dest.only == "" || dev.ID == dest.only {
				out = append(out, c.endpoint(dev, u.Account+u.ID, true)...)
			}
		}
	case destGroup:
		g, ok := dir.Group(dest.account, dest.id)
		if !ok {
			return nil
		}
		for _, m := range g.Members {
			u, ok := dir.User(dest.account, m)
			if !ok || u.Locked {
				continue
			}
			c.addUser(u.Account + u.ID)
			for _, dev := range dir.Devices(dest.account, u.ID) {
				out = append(out, c.endpoint(dev, u.Account+u.ID, false)...)
			}
		}
	case destDevice:
		dev, ok := dir.Device(dest.id)
		if !ok || dev.Account != dest.account {
			return nil
		}
		user := ""
		if u, ok := dir.User(dev.Account, dev.Owner); ok {
			if u.Locked {
				return nil
			}
			user = u.Account + u.ID
			c.addUser(user)
		}
		out = c.endpoint(dev, user, true)
	case destExternal:
		out = []target{c.r.trunkTarget(dest.number)}
	}
	return out
}

// endpoint lists the targets of one device: each live binding of an
// enabled phone other than the caller's, or an enabled external phone
// through the trunk when externals is set and there is a trunk.
func (c *call) endpoint(dev *directory.Device, user string, externals bool) []target {
	if !dev.Enabled || c.caller.device != nil && dev.ID == c.caller.device.ID {
		return nil
	}
	switch {
	case dev.Kind == model.DevicePhone:
		var out []target
		for _, b := range c.r.deps.Bindings.Bindings(dev.ID) {
			t := target{device: dev.ID, user: user, uri: *b.Contact.Clone(), transport: strings.ToUpper(b.Transport)}
			t.dest = sendTo(t.uri, nil, b.Source, t.transport, c.r.deps.Node != nil)
			out = append(out, t)
		}
		if len(out) == 0 {
			out = c.peerTargets(dev.ID, user)
		}
		if len(out) > 0 {
			c.addDevice(dev.ID)
		}
		return out
	case dev.Kind == model.DeviceExternal && externals && dev.External != "" && c.r.cfg.Trunk.Address != "":
		c.addDevice(dev.ID)
		t := c.r.trunkTarget(dev.External)
		t.device, t.user = dev.ID, user
		return []target{t}
	}
	return nil
}

// trunkTarget is a number rung through the trunk.
func (r *Router) trunkTarget(number string) target {
	u := sip.Uri{Scheme: "sip", User: number, Host: r.trunkHost, Port: r.trunkPort, UriParams: sip.NewParams()}
	if r.cfg.Trunk.Transport == "tcp" {
		u.UriParams.Add("transport", "tcp")
	}
	return target{uri: u, dest: r.cfg.Trunk.Address, transport: strings.ToUpper(r.cfg.Trunk.Transport), external: number}
}

// fork is one INVITE of a ringing call, the UAC side of a callee dialog.
type fork struct {
	c       *call
	phase   int
	t       target
	abortCh chan struct{}
	once    sync.Once
}

// forkResult is how a fork ended: answered (and won the call), or the
// status it failed with.
type forkResult struct {
	f        *fork
	answered bool
	status   int
}

// provisional is a 1xx a fork received.
type provisional struct {
	f   *fork
	res *sip.Response
}

// abort asks the fork to give up: CANCEL once the callee has sent a
// provisional response, and BYE should it answer all the same.
func (f *fork) abort() { f.once.Do(func() { close(f.abortCh) }) }

// run sends the INVITE and follows its transaction to the end. It always
// delivers one result to finals, which has room for it.
func (f *fork) run(finals chan<- forkResult, provs chan<- provisional) {
	defer f.c.forks.Done()
	code := f.invite(provs)
	if log := f.c.r.log; log.Enabled(context.Background(), slog.LevelDebug) {
		log.Debug("fork ended", "call", f.c.id, "device", f.t.device, "external", f.t.external != "", "status", code)
	}
	finals <- forkResult{f: f, status: code, answered: code == sip.StatusOK}
}

// invite returns 200 when the fork answered and won, else the status it
// failed with.
func (f *fork) invite(provs chan<- provisional) int {
	r, c := f.r(), f.c
	req := c.offerTo(f.t)
	tx, err := r.transact(req)
	if err != nil {
		r.log.Debug("fork not sent", "call", c.id, "device", f.t.device, "error", err.Error())
		return sip.StatusServiceUnavailable
	}
	r.enterDialog(req.CallID().Value(), legRef{c: c, side: Callee, f: f})
	var (
		ringing, authed, cancelled bool
		aborting                   = f.abortCh
		giveUp                     <-chan time.Time
	)
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.IsProvisional():
				ringing = true
				if aborting == nil {
					if !cancelled {
						cancelled = true
						r.cancelInvite(c, req)
					}
					continue
				}
				select {
				case provs <- provisional{f: f, res: res}:
				default:
				}
			case res.IsSuccess():
				// Retransmissions of the 2xx reach strayResponse, which
				// acknowledges them again.
				tx.Terminate()
				return f.answered(req, res)
			case f.challenged(res) && !authed && aborting != nil:
				authed = true
				tx.Terminate()
				var code int
				if req, tx, code = f.reauthorize(req, res); code != 0 {
					return code
				}
			default:
				return res.StatusCode
			}
		case <-tx.Done():
			if errors.Is(tx.Err(), sip.ErrTransactionTimeout) {
				return sip.StatusRequestTimeout
			}
			return sip.StatusServiceUnavailable
		case <-aborting:
			aborting = nil
			giveUp = time.After(r.cfg.Hangup)
			if ringing {
				cancelled = true
				r.cancelInvite(c, req)
			}
		case <-giveUp:
			tx.Terminate()
			return sip.StatusRequestTerminated
		}
	}
}

func (f *fork) r() *Router { return f.c.r }

// challenged reports whether the trunk asks for credentials we have.
func (f *fork) challenged(res *sip.Response) bool {
	return (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) &&
		f.t.trunk() && f.r().cfg.Trunk.Username != ""
}

// reauthorize sends the INVITE again with the trunk's credentials; code
// is the status the fork fails with when that is not possible.
func (f *fork) reauthorize(req *sip.Request, res *sip.Response) (*sip.Request, sip.ClientTransaction, int) {
	next, err := f.r().authorize(req, res)
	if err != nil {
		return nil, nil, sip.StatusForbidden
	}
	tx, err := f.r().transact(next)
	if err != nil {
		return nil, nil, sip.StatusServiceUnavailable
	}
	return next, tx, 0
}

// answered handles a 2xx: the callee's dialog is made and acknowledged,
// and the fork claims the call. A fork that answers after another won,
// or after its phase ended, is hung up at once.
func (f *fork) answered(req *sip.Request, res *sip.Response) int {
	r, c := f.r(), f.c
	d, err := uacDialog(req, res, f.t.dest, c.contact, r.deps.Node != nil && f.t.external == "")
	if err != nil {
		return sip.StatusBadGateway
	}
	if err := r.write(d.ackFor(req.CSeq().SeqNo)); err != nil {
		r.log.Debug("ACK not sent", "call", c.id, "error", err.Error())
	}
	info, err := parseSDP(res.Body())
	if err != nil || !c.claim(f, d, res) {
		c.bye(d)
		if err != nil {
			return sip.StatusNotAcceptableHere
		}
		return sip.StatusRequestTerminated
	}
	c.anchor(Callee, info)
	return sip.StatusOK
}

// claim makes f the call's answering fork, if the call still rings in
// f's phase and no other fork answered first.
func (c *call) claim(f *fork, d *dialog, res *sip.Response) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateRinging || f.phase != c.phase || c.winner != nil {
		return false
	}
	c.winner, c.b, c.answerRes = f, d, res
	return true
}

// cancelInvite sends CANCEL for a pending INVITE (RFC 3261 section 9.1)
// and lets it run on its own; the INVITE's transaction sees the 487.
func (r *Router) cancelInvite(c *call, invite *sip.Request) {
	cancel := sip.NewRequest(sip.CANCEL, *invite.Recipient.Clone())
	cancel.SipVersion = "SIP/2.0"
	cancel.AppendHeader(sip.HeaderClone(invite.Via()))
	for _, name := range []string{"From", "To", "Call-ID", "Route"} {
		for _, h := range invite.GetHeaders(name) {
			cancel.AppendHeader(sip.HeaderClone(h))
		}
	}
	cancel.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	cancel.AppendHeader(&maxFwd)
	cancel.SetBody(nil)
	cancel.SetTransport(invite.Transport())
	cancel.SetDestination(invite.Destination())
	cancel.Laddr = invite.Laddr
	c.forks.Add(1)
	go func() {
		defer c.forks.Done()
		if _, err := r.do(cancel, r.cfg.Hangup, nil); err != nil {
			r.log.Debug("CANCEL not answered", "call", c.id, "error", err.Error())
		}
	}()
}

// authorize returns the INVITE again with credentials for the trunk's
// challenge: a new branch, the next CSeq.
func (r *Router) authorize(req *sip.Request, res *sip.Response) (*sip.Request, error) {
	header, answer := "WWW-Authenticate", "Authorization"
	if res.StatusCode == sip.StatusProxyAuthRequired {
		header, answer = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(header)
	if h == nil {
		return nil, errors.New("no challenge")
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil, err
	}
	cred, err := digest.Digest(chal, digest.Options{
		Method: sip.INVITE.String(), URI: req.Recipient.Addr(),
		Username: r.cfg.Trunk.Username, Password: r.cfg.Trunk.Password,
	})
	if err != nil {
		return nil, err
	}
	next := req.Clone()
	next.RemoveHeader(answer)
	next.AppendHeader(sip.NewHeader(answer, cred.String()))
	next.CSeq().SeqNo++
	next.RemoveHeader("Via")
	next.SetDestination(req.Destination())
	next.SetTransport(req.Transport())
	return next, nil
}

// offerTo builds the INVITE of a fork: a dialog of its own (Call-ID,
// tag), the caller as presented to this target, and the caller's offer
// with the relay's callee-side address.
func (c *call) offerTo(t target) *sip.Request {
	req := sip.NewRequest(sip.INVITE, t.uri)
	req.SipVersion = "SIP/2.0"
	from, privacy := c.presentation(t)
	from.Params.Add("tag", sip.GenerateTagN(16))
	toUser := t.device
	toHost := c.r.cfg.Realm
	if t.trunk() {
		toUser, toHost = t.external, c.r.trunkHost
	}
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: toUser, Host: toHost}, Params: sip.NewParams()}
	id := sip.CallIDHeader(uuid.NewString())
	maxFwd := sip.MaxForwardsHeader(70)
	contact := c.contact
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&id)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	req.AppendHeader(&maxFwd)
	req.AppendHeader(&contact)
	if privacy {
		req.AppendHeader(sip.NewHeader("Privacy", "id"))
	}
	if t.peer {
		req.AppendHeader(c.r.peerHeader(id.Value(), t.device))
	}
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, INFO, OPTIONS"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(rewriteSDP(c.body, c.media.Local(Callee)))
	req.SetTransport(t.transport)
	req.SetDestination(t.dest)
	return req
}

// enterDialog enters a callee leg in the dialog table.
func (r *Router) enterDialog(callID string, l legRef) {
	r.mu.Lock()
	r.dialogs[callID] = l
	r.mu.Unlock()
}
