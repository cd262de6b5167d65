package calls

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard/switchboard/mediafleet/directory"
	sipdigest "github.com/switchboard/switchboard/mediafleet/internal/digest"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/phone"
)

// invite answers a new INVITE (one without a To tag): it checks the
// request, tells who calls (the trunk, or a phone that authenticates),
// resolves the dialled string and, if all is well, sets up the call. It
// returns when the call is answered or has failed.
func (r *Router) invite(req *sip.Request, tx sip.ServerTransaction) {
	if code, reason := checkInvite(req); code != 0 {
		r.respond(tx, req, code, reason)
		return
	}
	d := dialled(req)
	var from caller
	switch {
	case r.fromPeer(req):
		from = r.peerCaller(req)
	case r.fromTrunk(req.Source()):
		from = r.inboundCaller(req)
	default:
		var res *sip.Response
		if from, res = r.authenticate(req, phone.Emergency(d)); res != nil {
			r.send(tx, res)
			return
		}
	}
	offer, err := parseSDP(req.Body())
	switch {
	case err == nil && !isSDP(req):
		err = errBadSDP
	case errors.Is(err, errNoSDP), errors.Is(err, errNoAudio):
		r.respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here",
			sip.NewHeader("Warning", `304 `+r.cfg.Realm+` "an audio offer is required"`))
		return
	}
	if err != nil {
		r.respond(tx, req, sip.StatusBadRequest, "Bad Session Description")
		return
	}
	var dest destination
	var code int
	var reason string
	if from.peer {
		dest, code, reason = r.peerRoute(from, d)
	} else {
		dest, code, reason = r.route(from, d)
	}
	if code != 0 {
		r.respond(tx, req, code, reason)
		return
	}
	if trunk := r.cfg.Trunk.Address != ""; dest.kind == destExternal && !trunk {
		r.respond(tx, req, sip.StatusNotFound, "Not Found", sip.NewHeader("Warning", `399 `+r.cfg.Realm+` "no trunk for external numbers"`))
		return
	}
	c, ok := r.newCall(req, tx, from, dest, d, offer)
	if !ok {
		// A Call-ID the router already holds: a request that looped back
		// to the node, or a merged request (RFC 3261 section 8.2.2.2).
		r.respond(tx, req, sip.StatusLoopDetected, "Loop Detected")
		return
	}
	c.setup()
}

// checkInvite checks what every INVITE needs before anything else.
func checkInvite(req *sip.Request) (int, string) {
	cseq := req.CSeq()
	switch {
	case req.From() == nil || req.To() == nil || req.CallID() == nil || cseq == nil || req.Via() == nil:
		return sip.StatusBadRequest, "Missing Header"
	case cseq.MethodName != sip.INVITE:
		return sip.StatusBadRequest, "CSeq Method Mismatch"
	case tags(req).from == "":
		return sip.StatusBadRequest, "From Tag Required"
	case req.Contact() == nil || req.Contact().Address.Host == "":
		return sip.StatusBadRequest, "Contact Required"
	case req.Recipient.User == "":
		return sip.StatusNotFound, "Not Found"
	}
	if mf := req.MaxForwards(); mf != nil && *mf == 0 {
		return sip.StatusTooManyHops, "Too Many Hops"
	}
	if h := req.GetHeader("Require"); h != nil {
		return sip.StatusBadExtension, "Bad Extension"
	}
	return 0, ""
}

// isSDP reports whether the body is declared as SDP.
func isSDP(req *sip.Request) bool {
	ct := req.ContentType()
	if ct == nil {
		return false
	}
	v, _, _ := strings.Cut(ct.Value(), ";")
	return strings.EqualFold(strings.TrimSpace(v), "application/sdp")
}

// fromTrunk reports whether a request came from the trunk.
func (r *Router) fromTrunk(source string) bool {
	if len(r.trunkSrc) == 0 {
		return false
	}
	return r.trunkSrc[source] || r.trunkSrc[hostOf(source)]
}

// route resolves what the caller reaches by dialling d, or the status
// that refuses the call.
func (r *Router) route(from caller, d string) (destination, int, string) {
	if from.trunk {
		dest, ok := r.resolveInbound(d)
		if !ok {
			return dest, sip.StatusNotFound, "Not Found"
		}
		return dest, 0, ""
	}
	dest, ok := r.resolve(from.account, d)
	if !ok {
		return dest, sip.StatusNotFound, "Not Found"
	}
	return dest, 0, ""
}

// authenticate checks a phone's INVITE with Digest, as the registrar
// checks REGISTER, and answers 407 with a challenge when there are no
// credentials for our realm. A disabled phone or a locked user or account
// gets 403, except for emergency calls, which every phone that
// authenticates may make.
func (r *Router) authenticate(req *sip.Request, emergency bool) (caller, *sip.Response) {
	now := r.cfg.Clock()
	ip := hostOf(req.Source())
	if r.bySource.Blocked(ip, now) {
		return caller{}, r.response(req, sip.StatusForbidden, "Forbidden", nil)
	}
	cred, err := r.credentials(req)
	switch {
	case err != nil:
		return caller{}, r.response(req, sip.StatusBadRequest, "Malformed Proxy-Authorization", nil)
	case cred == nil || sipdigest.ParseAlgorithm(cred.Algorithm) == sipdigest.Unknown:
		return caller{}, r.challenge(req, now, false)
	case !strings.EqualFold(cred.QOP, "auth") || cred.Nc == 0 || cred.Cnonce == "" || cred.Username == "":
		return caller{}, r.response(req, sip.StatusBadRequest, "Digest with qop=auth required", nil)
	}
	alg := sipdigest.ParseAlgorithm(cred.Algorithm)
	devKey := logSafe(cred.Username)
	if r.byDevice.Blocked(devKey, now) {
		return caller{}, r.response(req, sip.StatusForbidden, "Forbidden", nil)
	}
	nonce := r.nonces.Check(cred.Nonce, now)
	if nonce == sipdigest.NonceInvalid {
		return caller{}, r.challenge(req, now, false)
	}
	known, ok := r.deps.Directory.Credentials(cred.Username)
	ha1, usable := r.ha1(known, ok, alg)
	if !checkDigest(alg, ha1, req.Method.String(), cred) || !usable {
		return caller{}, r.failed(req, ip, devKey, now)
	}
	if nonce == sipdigest.NonceStale {
		return caller{}, r.challenge(req, now, true)
	}
	r.byDevice.Reset(devKey, now)
	dev := known.Device
	if !emergency && (!dev.Enabled || known.Locked) {
		if r.log.Enabled(context.Background(), slog.LevelDebug) {
			r.log.Debug("sip call refused", "device", dev.ID, "enabled", dev.Enabled, "locked", known.Locked)
		}
		return caller{}, r.response(req, sip.StatusForbidden, "Forbidden", nil)
	}
	c := caller{device: dev, account: dev.Account}
	if u, ok := r.deps.Directory.User(dev.Account, dev.Owner); ok {
		c.user = u
		c.display = u.Name
	}
	return c, nil
}

// credentials returns the Digest credentials for our realm among the
// request's Proxy-Authorization headers, or nil when there are none.
func (r *Router) credentials(req *sip.Request) (*digest.Credentials, error) {
	for _, h := range req.GetHeaders("Proxy-Authorization") {
		v := h.Value()
		if !digest.IsDigest(v) {
			continue
		}
		if len(v) > 4096 {
			return nil, errors.New("credentials too long")
		}
		c, err := digest.ParseCredentials(v)
		if err != nil {
			return nil, err
		}
		if c.Realm == r.cfg.Realm {
			return c, nil
		}
	}
	return nil, nil
}

// ha1 picks the device's digest for alg; usable is false (and a
// placeholder returned) for unknown devices, non-phones, missing digests
// and digests made for another realm.
func (r *Router) ha1(c directory.Credentials, ok bool, alg sipdigest.Algorithm) (string, bool) {
	if ok && c.Device.Kind == model.DevicePhone && c.Device.Realm == r.cfg.Realm {
		switch {
		case alg == sipdigest.MD5 && c.Device.HA1MD5 != "":
			return c.Device.HA1MD5, true
		case alg == sipdigest.SHA256 && c.Device.HA1SHA256 != "":
			return c.Device.HA1SHA256, true
		}
	}
	return alg.PlaceholderHA1(), false
}

// failed counts a failed authentication; the answer is a new challenge,
// or 403 once the source or the device is blocked.
func (r *Router) failed(req *sip.Request, ip, device string, now time.Time) *sip.Response {
	if r.bySource.Fail(ip, now) {
		r.log.Warn("sip call authentication blocked for a source address", "source", ip,
			"failures", r.cfg.SourceFailureLimit, "block_for", r.cfg.BlockFor.String())
	}
	if r.byDevice.Fail(device, now) {
		r.log.Warn("sip call authentication blocked for a device", "device", device, "source", ip,
			"failures", r.cfg.FailureLimit, "block_for", r.cfg.BlockFor.String())
	}
	if r.bySource.Blocked(ip, now) || r.byDevice.Blocked(device, now) {
		return r.response(req, sip.StatusForbidden, "Forbidden", nil)
	}
	return r.challenge(req, now, false)
}

// challenge answers 407 with one challenge per configured algorithm
// (RFC 8760), in Config.Challenges' order, all with one nonce.
func (r *Router) challenge(req *sip.Request, now time.Time, stale bool) *sip.Response {
	nonce := r.nonces.Mint(now)
	hs := make([]sip.Header, len(r.algs))
	for i, a := range r.algs {
		hs[i] = sip.NewHeader("Proxy-Authenticate", sipdigest.Challenge(r.cfg.Realm, nonce, a, stale))
	}
	return r.response(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required", nil, hs...)
}

// hostOf is the address part of host:port.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// logSafe shortens a client-supplied id for logs and limiter keys.
func logSafe(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
