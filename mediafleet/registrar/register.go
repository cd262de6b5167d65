package registrar

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/directory"
	"github.com/switchboard/switchboard/mediafleet/internal/digest"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// handle answers a REGISTER (RFC 3261 section 10.3) and returns the
// response; ServeSIP sends it. Requests are processed in this order:
// blocked source, header sanity, digest authentication (RFC 7616, RFC
// 8760), authorization (enabled device, unlocked user and account, To
// naming the authenticated device), then the bindings.
func (r *Registrar) handle(req *sip.Request) *sip.Response {
	now := r.cfg.Clock()
	ip := host(req.Source())
	if r.bySource.Blocked(ip, now) {
		return r.reply(req, sip.StatusForbidden, "Forbidden")
	}
	to, cseq := req.To(), req.CSeq()
	if to == nil || req.CallID() == nil || cseq == nil || cseq.MethodName != sip.REGISTER {
		return r.reply(req, sip.StatusBadRequest, "Bad Request")
	}
	if h := findHeader(req, "Require"); h != nil {
		// The registrar supports no extension a client may require
		// (RFC 3261 section 8.2.2.3).
		return r.reply(req, 420, "Bad Extension", sip.NewHeader("Unsupported", h.Value()))
	}

	cred, found, err := ourCredentials(req, r.cfg.Realm)
	switch {
	case err != nil:
		return r.reply(req, sip.StatusBadRequest, "Malformed Authorization")
	case !found:
		return r.challenge(req, now, false)
	}
	alg := digest.ParseAlgorithm(cred.Algorithm)
	if alg == digest.Unknown {
		return r.challenge(req, now, false)
	}
	if !strings.EqualFold(cred.QOP, "auth") || cred.NC == "" || cred.Cnonce == "" || cred.Username == "" {
		return r.reply(req, sip.StatusBadRequest, "Digest with qop=auth required")
	}
	devKey := logSafe(cred.Username)
	if r.byDevice.Blocked(devKey, now) {
		return r.reply(req, sip.StatusForbidden, "Forbidden")
	}
	nonce := r.nonces.Check(cred.Nonce, now)
	if nonce == digest.NonceInvalid {
		// Not a nonce of ours (another realm's, a forged one, or one of
		// a node with another secret): no guess was made, so no failure
		// is counted; a fresh challenge lets an honest phone recover.
		return r.challenge(req, now, false)
	}
	// The digest's uri parameter is taken as the client sent it and not
	// compared with the Request-URI, which proxies and NATs may rewrite;
	// the response binds it all the same.
	known, ok := r.dir.Credentials(cred.Username)
	ha1, usable := r.ha1(known, ok, alg)
	if !digest.Verify(alg, ha1, req.Method.String(), &cred) || !usable {
		if ok && known.Device.Kind == model.DevicePhone && known.Device.Realm != r.cfg.Realm {
			// An operator's problem, not the phone's: the SIP domain
			// changed after the password was made.
			r.log.Warn("phone credentials were made for another realm; rotate its SIP password",
				"device", known.Device.ID, "device_realm", known.Device.Realm, "realm", r.cfg.Realm)
		}
		return r.failed(req, ip, devKey, now)
	}
	if nonce == digest.NonceStale {
		return r.challenge(req, now, true)
	}
	r.byDevice.Reset(devKey, now)
	dev := known.Device
	if to.Address.User != dev.ID || !dev.Enabled || known.Locked {
		if r.log.Enabled(context.Background(), slog.LevelDebug) {
			r.log.Debug("sip registration refused", "device", dev.ID, "source", ip, "to_matches", to.Address.User == dev.ID,
				"enabled", dev.Enabled, "locked", known.Locked)
		}
		return r.reply(req, sip.StatusForbidden, "Forbidden")
	}
	return r.register(req, dev, now)
}

// ourCredentials returns the Digest credentials for our realm among the
// request's Authorization header fields (a request may carry one per
// realm). found is false when there are none.
func ourCredentials(req *sip.Request, realm string) (c digest.Credentials, found bool, err error) {
	for _, h := range req.Headers() {
		if !strings.EqualFold(h.Name(), "Authorization") {
			continue
		}
		c, err = digest.ParseCredentials(h.Value())
		if errors.Is(err, digest.ErrNotDigest) {
			continue
		}
		if err != nil {
			return c, false, err
		}
		if c.Realm == realm {
			return c, true, nil
		}
	}
	return digest.Credentials{}, false, nil
}

// ha1 picks the device's digest for alg. usable is false when the device
// is unknown, is not a phone, has no digest for alg or has digests made
// for another realm; a placeholder is returned then.
func (r *Registrar) ha1(c directory.Credentials, ok bool, alg digest.Algorithm) (ha1 string, usable bool) {
	if ok && c.Device.Kind == model.DevicePhone && c.Device.Realm == r.cfg.Realm {
		switch {
		case alg == digest.MD5 && c.Device.HA1MD5 != "":
			return c.Device.HA1MD5, true
		case alg == digest.SHA256 && c.Device.HA1SHA256 != "":
			return c.Device.HA1SHA256, true
		}
	}
	return alg.PlaceholderHA1(), false
}

// failed counts a failed authentication against the source address and
// the device id. The answer is a new challenge, or 403 once either is
// blocked. Nothing secret is logged: no header, nonce or digest.
func (r *Registrar) failed(req *sip.Request, ip, device string, now time.Time) *sip.Response {
	if r.bySource.Fail(ip, now) {
		r.log.Warn("sip authentication blocked for a source address", "source", ip,
			"failures", r.cfg.SourceFailureLimit, "block_for", r.cfg.BlockFor.String())
	}
	if r.byDevice.Fail(device, now) {
		r.log.Warn("sip authentication blocked for a device", "device", device, "source", ip,
			"failures", r.cfg.FailureLimit, "block_for", r.cfg.BlockFor.String())
	}
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		r.log.Debug("sip authentication failed", "device", device, "source", ip)
	}
	if r.bySource.Blocked(ip, now) || r.byDevice.Blocked(device, now) {
		return r.reply(req, sip.StatusForbidden, "Forbidden")
	}
	return r.challenge(req, now, false)
}

// register changes the device's bindings and lists them in a 200.
func (r *Registrar) register(req *sip.Request, dev *directory.Device, now time.Time) *sip.Response {
	plan, err := parseContacts(req, expiryLimits{min: r.cfg.MinExpires, max: r.cfg.MaxExpires})
	if err != nil {
		var re *requestError
		if !errors.As(err, &re) {
			return r.reply(req, sip.StatusBadRequest, "Bad Request")
		}
		if re == errTooBrief {
			return r.reply(req, re.status, re.reason,
				sip.NewHeader("Min-Expires", strconv.Itoa(int(r.cfg.MinExpires/time.Second))))
		}
		return r.reply(req, re.status, re.reason)
	}
	var current []Binding
	if plan.removeAll || len(plan.changes) > 0 {
		reg := registration{
			account: dev.Account, device: dev.ID,
			source: req.Source(), transport: strings.ToLower(req.Transport()),
			userAgent: userAgent(req), callID: req.CallID().Value(), cseq: req.CSeq().SeqNo,
			plan: plan, maxContacts: r.cfg.MaxContacts, node: r.cfg.Node, now: now,
		}
		var ops []store.Op
		var changed bool
		current, ops, changed = r.bindings.apply(&reg)
		r.writer.queue(ops...)
		if changed {
			r.log.Info("sip bindings changed", "device", dev.ID, "bindings", len(current),
				"source", host(reg.source), "transport", reg.transport)
		}
	} else {
		current = r.bindings.of(dev.ID, now)
	}
	extra := make([]sip.Header, 0, len(current)+1)
	for _, b := range current {
		c := &sip.ContactHeader{Address: b.Contact, Params: sip.NewParams()}
		c.Params.Add("expires", strconv.FormatInt(int64(remaining(b.Expires, now)/time.Second), 10))
		extra = append(extra, c)
	}
	extra = append(extra, r.dates.header(now))
	return r.reply(req, sip.StatusOK, "OK", extra...)
}

// http1123 is the Date format of SIP (RFC 3261 section 20.17).
const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

// remaining rounds the time left up to whole seconds.
func remaining(exp, now time.Time) time.Duration {
	d := exp.Sub(now)
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return max(d, 0)
}

// challenge answers 401 with two challenges (RFC 8760), MD5 and SHA-256,
// in the order Config.PreferSHA256 sets, both with one fresh nonce and
// qop=auth.
func (r *Registrar) challenge(req *sip.Request, now time.Time, stale bool) *sip.Response {
	nonce := r.nonces.Mint(now)
	hs := make([]sip.Header, len(r.algs))
	for i, a := range r.algs {
		hs[i] = sip.NewHeader("WWW-Authenticate", digest.Challenge(r.cfg.Realm, nonce, a, stale))
	}
	return r.reply(req, sip.StatusUnauthorized, "Unauthorized", hs...)
}

// reply builds a response to req carrying extra and the Server header.
// It is sipgo's NewResponseFromRequest cut to what a REGISTER's answer
// holds, without its copies: the Via fields, From, Call-ID and CSeq of
// the request are shared with it (neither is changed afterwards), the top
// Via is copied to get received and rport when the client asked for rport
// (RFC 3581), To is copied to get a tag, and Content-Length: 0 goes last.
func (r *Registrar) reply(req *sip.Request, code int, reason string, extra ...sip.Header) *sip.Response {
	res := sip.NewResponse(code, reason)
	res.SipVersion = "SIP/2.0"
	top := true
	for _, h := range req.Headers() {
		via, ok := h.(*sip.ViaHeader)
		if !ok {
			continue
		}
		if top {
			top = false
			if v, ok := via.Params.Get("rport"); ok && v == "" {
				via = via.Clone()
				host, port, _ := net.SplitHostPort(req.Source())
				via.Params.Add("rport", port)
				via.Params.Add("received", host)
			}
		}
		res.AppendHeader(via)
	}
	if h := req.From(); h != nil {
		res.AppendHeader(h)
	}
	if h := req.To(); h != nil {
		res.AppendHeader(toWithTag(h))
	}
	if h := req.CallID(); h != nil {
		res.AppendHeader(h)
	}
	if h := req.CSeq(); h != nil {
		res.AppendHeader(h)
	}
	for _, h := range extra {
		res.AppendHeader(h)
	}
	res.AppendHeader(r.server)
	res.SetBody(nil)
	res.SetTransport(req.Transport())
	res.SetDestination(req.Source())
	return res
}

// toWithTag returns the To field of an answer: the request's, with a tag
// of the registrar's unless it has one (RFC 3261 section 8.2.6.2). The
// tag is 64 random bits from the runtime's ChaCha8 generator, which is
// seeded from the system's randomness: unique and unguessable, as section
// 19.3 asks, without a system call.
func toWithTag(h *sip.ToHeader) *sip.ToHeader {
	if h.Params.Has("tag") {
		return h
	}
	to := &sip.ToHeader{DisplayName: h.DisplayName, Address: h.Address}
	to.Params = make(sip.HeaderParams, len(h.Params), len(h.Params)+1)
	copy(to.Params, h.Params)
	to.Params.Add("tag", strconv.FormatUint(rand.Uint64(), 36))
	return to
}

// dateCache keeps the Date header field of the current second, which
// every answer of that second carries. Answers share the field; nothing
// changes a header field of an answer once it is built.
type dateCache struct{ v atomic.Pointer[dateValue] }

type dateValue struct {
	sec int64
	h   sip.Header
}

func (c *dateCache) header(now time.Time) sip.Header {
	sec := now.Unix()
	if d := c.v.Load(); d != nil && d.sec == sec {
		return d.h
	}
	d := &dateValue{sec: sec, h: sip.NewHeader("Date", now.UTC().Format(http1123))}
	c.v.Store(d)
	return d.h
}

// findHeader returns the first header field called name. Unlike sipgo's
// GetHeader it allocates nothing for names not written in lower case.
func findHeader(req *sip.Request, name string) sip.Header {
	for _, h := range req.Headers() {
		if strings.EqualFold(h.Name(), name) {
			return h
		}
	}
	return nil
}

// host is the address part of host:port.
func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// userAgent is the request's User-Agent, shortened for the table.
func userAgent(req *sip.Request) string {
	h := findHeader(req, "User-Agent")
	if h == nil {
		return ""
	}
	v := h.Value()
	if len(v) > 128 {
		v = v[:128]
	}
	return v
}

// logSafe shortens a client-supplied device id for logs and limiter keys.
func logSafe(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
