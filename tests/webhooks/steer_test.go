package webhooks

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// steerWith answers newCall on the incoming URL with the steering
// response body, and everything else as then says (nil: 200, empty).
func steerWith(body string, then func(h hook) reply) func(h hook) reply {
	return func(h hook) reply {
		if h.Path == "/in" && h.event() == "newCall" {
			return reply{Type: "application/xml", Body: body}
		}
		if then != nil {
			return then(h)
		}
		return reply{}
	}
}

// watchPhone takes a phone's SIP port while its sipp does not run, and
// counts the INVITEs that reach it (a phone that must not ring).
func watchPhone(t *testing.T, u *user) func() int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: u.Port})
	if err != nil {
		t.Fatal(err)
	}
	invites := make(chan int, 1)
	go func() {
		n := 0
		buf := make([]byte, 65535)
		for {
			k, _, err := c.ReadFromUDP(buf)
			if err != nil {
				invites <- n
				return
			}
			if strings.HasPrefix(string(buf[:k]), "INVITE ") {
				n++
			}
		}
	}()
	var got *int
	count := func() int {
		if got == nil {
			c.Close()
			n := <-invites
			got = &n
		}
		return *got
	}
	t.Cleanup(func() { count() })
	return count
}

// TestSteering: the account's URLs take newCall only; the integration
// answers it with XML that steers the call, and subscribes to answer and
// hangup with the response's onAnswer and onHangup URLs.
func TestSteering(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{carla: true})
	defer e.failLog(t)
	anna, bernd, carla := e.users[0], e.users[1], e.users[2]
	to := digits(anna.Number)
	subscribe := `onAnswer="` + e.hooks.URL("/answer") + `" onHangup="` + e.hooks.URL("/hangup") + `"`

	t.Run("onAnswer and onHangup", func(t *testing.T) {
		e.hooks.respond(steerWith(`<Response `+subscribe+`/>`, nil))
		from := e.caller() + "1"
		phone := e.phone(t, anna, "uas.xml").start(t)
		start := time.Now()
		if !e.trunkCall(t, "trunk_call.xml", from[:len(from)-1], to, 0).run(t) || !phone.wait(t) {
			t.FailNow()
		}
		end := time.Now()
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		ans := e.hooks.one(t, hookWait, "answer", and(path("/answer"), callOf(from)))
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from)))
		checkSigned(t, ans, e.secret)
		checkSigned(t, hup, e.secret)
		sameCall(t, checkNewCall(t, nc, e.secret, e.acct.ID, from, to, "in", anna), ans, hup)
		checkFields(t, ans, answerFields(anna, e.acct.ID, from, to, "in", to), nil)
		checkFields(t, hup, hangupFields("normalClearing", from, to, "in", to, true), hangupChecks(start, end, 1200*time.Millisecond))
		if got := e.hooks.all(and(path("/in"), callOf(from))); len(got) != 1 {
			t.Errorf("the incoming URL, subscribed to newCall only, got %d webhooks of the call, want 1", len(got))
		}
	})

	t.Run("Reject busy", func(t *testing.T) {
		e.hooks.respond(steerWith(`<Response `+subscribe+`><Reject reason="busy"/></Response>`, nil))
		from := e.caller() + "1"
		rang := watchPhone(t, anna)
		// trunk_busy.xml wants a 486.
		if !e.trunkCall(t, "trunk_busy.xml", from[:len(from)-1], to, 0).run(t) {
			t.FailNow()
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("busy", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		if n := rang(); n > 0 {
			t.Errorf("Anna's phone got %d INVITEs of a rejected call", n)
		}
		noneOf(t, e.hooks, "answer", callOf(from))
	})

	t.Run("Reject rejected", func(t *testing.T) {
		e.hooks.respond(steerWith(`<Response `+subscribe+`><Reject reason="rejected"/></Response>`, nil))
		from := e.caller() + "1"
		rang := watchPhone(t, anna)
		// trunk_declined.xml wants a 603.
		if !e.trunkCall(t, "trunk_declined.xml", from[:len(from)-1], to, 0).run(t) {
			t.FailNow()
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("*", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		if n := rang(); n > 0 {
			t.Errorf("Anna's phone got %d INVITEs of a rejected call", n)
		}
		t.Logf("a rejected call hangs up with cause %s", hup.get("cause"))
	})

	t.Run("Hangup", func(t *testing.T) {
		e.hooks.respond(steerWith(`<Response `+subscribe+`><Hangup/></Response>`, nil))
		from := e.caller() + "1"
		rang := watchPhone(t, anna)
		if !e.trunkCall(t, "trunk_declined.xml", from[:len(from)-1], to, 0).run(t) {
			t.FailNow()
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("normalClearing", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		if n := rang(); n > 0 {
			t.Errorf("Anna's phone got %d INVITEs of a call the integration hung up", n)
		}
	})

	t.Run("newCall fails", func(t *testing.T) {
		// A consumer that fails, or answers no valid steering response,
		// leaves the call to ring as routed.
		for _, r := range []reply{{Status: http.StatusInternalServerError, Body: "down"}, {Type: "application/xml", Body: "<Response><Dial>"}} {
			e.hooks.respond(func(hook) reply { return r })
			from := e.caller() + "1"
			phone := e.phone(t, anna, "uas.xml").start(t)
			if !e.trunkCall(t, "trunk_call.xml", from[:len(from)-1], to, 0).run(t) || !phone.wait(t) {
				t.FailNow()
			}
			e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		}
	})

	t.Run("Dial two numbers", func(t *testing.T) {
		e.hooks.respond(steerWith(`<Response `+subscribe+`><Dial><Number>`+bernd.Extension+`</Number><Number>`+carla.Extension+`</Number></Dial></Response>`, nil))
		from := e.caller() + "1"
		rang := watchPhone(t, anna)
		b, c := e.phone(t, bernd, "phone_ring.xml").start(t), e.phone(t, carla, "phone_ring.xml").start(t)
		if !e.trunkCall(t, "trunk_cancel.xml", from[:len(from)-1], to, 0).run(t) {
			t.FailNow()
		}
		// Both numbers of the Dial rang (INVITE, then CANCEL), in place
		// of Anna, to whom the number is routed.
		if !b.wait(t) || !c.wait(t) {
			t.FailNow()
		}
		if n := rang(); n > 0 {
			t.Errorf("Anna's phone got %d INVITEs of a call the integration dialled elsewhere", n)
		}
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from)))
		checkFields(t, hup, hangupFields("cancel", from, to, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
	})

	t.Run("Play", func(t *testing.T) {
		const prompt = time.Second
		e.hooks.serveFile("/prompt.wav", wav(prompt))
		e.hooks.respond(steerWith(`<Response `+subscribe+`><Play><Url>`+e.hooks.URL("/prompt.wav")+`</Url></Play></Response>`, nil))
		from := e.caller() + "1"
		sink := newRTPSink(t, 0x51bb0a) // the SSRC of sipp's own PCMA
		phone := e.phone(t, anna, "uas.xml").start(t)
		call := e.trunkCall(t, "trunk_call.xml", from[:len(from)-1], to, sink.port())
		if !call.run(t) || !phone.wait(t) {
			t.FailNow()
		}
		// One packet per 20 ms of the prompt, as PCMA (the caller's first
		// codec), before the call was put through to Anna.
		if n, want := sink.packets(8), int(prompt/(20*time.Millisecond)); n < want*9/10 {
			t.Errorf("the caller got %d PCMA packets of a %s prompt, want %d", n, prompt, want)
		}
		if !strings.Contains(call.messages(t), "SIP/2.0 183 ") {
			t.Errorf("the caller got no 183 with early media")
		}
		ans := e.hooks.one(t, hookWait, "answer", and(path("/answer"), callOf(from)))
		checkFields(t, ans, answerFields(anna, e.acct.ID, from, to, "in", to), nil)
		t.Logf("the caller got %d PCMA packets of the prompt", sink.packets(8))
	})

	t.Run("Gather", func(t *testing.T) {
		const sent = "427"
		writeFile(t, e.dir, "dtmf.pcap", dtmfPcap(sent, 101, 300*time.Millisecond))
		gather := `<Response ` + subscribe + `><Gather onData="` + e.hooks.URL("/dtmf") + `" maxDigits="3" timeout="3000"/></Response>`
		e.hooks.respond(steerWith(gather, func(h hook) reply {
			if h.Path == "/dtmf" {
				return reply{Type: "application/xml", Body: `<Response><Hangup/></Response>`}
			}
			return reply{}
		}))
		from := e.caller() + "1"
		if !e.trunkCall(t, "trunk_gather.xml", from[:len(from)-1], to, 0).run(t) {
			t.FailNow()
		}
		nc := e.hooks.one(t, hookWait, "newCall", and(path("/in"), event("newCall"), callOf(from)))
		callID := nc.Form.Get("callId")
		dtmf := e.hooks.one(t, hookWait, "dtmf", and(path("/dtmf"), field("callId", callID)))
		checkSigned(t, dtmf, e.secret)
		checkFields(t, dtmf, url.Values{"event": {"dtmf"}, "dtmf": {sent}, "callId": {callID}}, nil)
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from)))
		t.Logf("the integration hung up after the digits: hangup cause %s", hup.Form.Get("cause"))
	})

	t.Run("forwarded", func(t *testing.T) {
		// The forwarded leg's newCall is posted as the first one is, and
		// its answer subscribes to that leg's answer and hangup.
		e.hooks.respond(func(h hook) reply {
			if h.event() == "newCall" {
				return reply{Type: "application/xml", Body: `<Response ` + subscribe + `/>`}
			}
			return reply{}
		})
		from := e.caller() + "1"
		dialled := digits(carla.Number)
		phone := e.phone(t, bernd, "uas.xml").start(t)
		start := time.Now()
		if !e.trunkCall(t, "trunk_call.xml", from[:len(from)-1], dialled, 0).run(t) || !phone.wait(t) {
			t.FailNow()
		}
		end := time.Now()
		first := e.hooks.one(t, hookWait, "newCall", and(event("newCall"), callOf(from), func(h hook) bool { return h.Form.Get("diversion") == "" }))
		orig := checkNewCall(t, first, e.secret, e.acct.ID, from, dialled, "in", carla)
		// Carla's leg ends with cause forwarded.
		hup := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), callOf(from), field("callId", orig)))
		checkSigned(t, hup, e.secret)
		checkFields(t, hup, hangupFields("forwarded", from, dialled, "in", "", false), hangupChecks(time.Time{}, time.Time{}, 0))
		// The new leg has a call id of its own, points back to the first,
		// and names the number first dialled as the diversion. Its to is
		// the forwarding target (Bernd's extension here).
		leg := e.hooks.one(t, hookWait, "newCall of the forwarded leg", and(event("newCall"), callOf(from), field("diversion", dialled)))
		checkSigned(t, leg, e.secret)
		checkFields(t, leg, url.Values{"event": {"newCall"}, "from": {from}, "to": {"*"}, "direction": {"in"}, "callId": {"*"},
			"origCallId": {orig}, "xcid": {orig}, "user[]": {bernd.Name}, "userId[]": {bernd.ID}, "fullUserId[]": {e.acct.ID + bernd.ID},
			"diversion": {dialled}}, nil)
		id := leg.Form.Get("callId")
		if id == "" || id == orig {
			t.Errorf("forwarded leg's callId %q, want a new one (the first leg's is %q)", id, orig)
		}
		ans := e.hooks.one(t, hookWait, "answer", and(path("/answer"), field("callId", id)))
		checkSigned(t, ans, e.secret)
		wantAns := answerFields(bernd, e.acct.ID, from, "*", "in", "*")
		wantAns["diversion"] = []string{dialled}
		checkFields(t, ans, wantAns, nil)
		end2 := e.hooks.one(t, hookWait, "hangup", and(path("/hangup"), field("callId", id)))
		checkSigned(t, end2, e.secret)
		wantHup := hangupFields("normalClearing", from, "*", "in", "*", true)
		wantHup["diversion"] = []string{dialled}
		checkFields(t, end2, wantHup, hangupChecks(start, end, 1200*time.Millisecond))
		t.Logf("forwarded leg: to=%s answeringNumber=%s", leg.Form.Get("to"), ans.Form.Get("answeringNumber"))
	})

	// The stack runs with the default steering timeout, 3 s.
	t.Run("newCall hangs", func(t *testing.T) { hangingNewCall(t, e, 3*time.Second) })
}

// hangingNewCall: the consumer takes newCall and hangs for 10 s. The call
// rings as routed once the stack's steering timeout has passed: not later
// (the integration never holds a call longer), and not before (newCall is
// waited for, since its answer may steer the call). The time is read from
// sipp's trace of the INVITE it sent and the 180 it got; a margin above
// the timeout covers a busy machine.
func hangingNewCall(t *testing.T, e *env, timeout time.Duration) {
	const hang, margin = 10 * time.Second, 1500 * time.Millisecond
	e.hooks.respond(func(h hook) reply {
		if h.event() == "newCall" {
			return reply{Delay: hang, Type: "application/xml", Body: `<Response><Reject reason="busy"/></Response>`}
		}
		return reply{}
	})
	anna := e.users[0]
	from := e.caller() + "1"
	phone := e.phone(t, anna, "uas.xml").start(t)
	call := e.trunkCall(t, "trunk_call.xml", from[:len(from)-1], digits(anna.Number), 0)
	if !call.run(t) || !phone.wait(t) {
		t.FailNow()
	}
	e.hooks.one(t, hookWait, "newCall", and(event("newCall"), callOf(from)))
	ring, err := untilRinging(call.messages(t))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case ring > timeout+margin:
		t.Errorf("a newCall webhook that hangs for %s held the call %s before it rang, want at most the %s timeout", hang, ring, timeout)
	case ring < timeout-100*time.Millisecond:
		t.Errorf("the call rang %s after its INVITE, before the %s timeout of a newCall that hangs", ring, timeout)
	}
	t.Logf("INVITE to 180 with a newCall webhook that hangs, timeout %s: %s", timeout, ring.Round(time.Millisecond))
}

// untilRinging reads sipp's message trace of a call and returns the time
// from the INVITE it sent to the first 180 or 200 it received.
func untilRinging(trace string) (time.Duration, error) {
	const sep = "----------------------------------------------- "
	var invite time.Time
	for _, m := range strings.Split(trace, sep)[1:] {
		sc := bufio.NewScanner(strings.NewReader(m))
		var lines []string
		for sc.Scan() && len(lines) < 5 {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) < 3 {
			continue
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05.000000", lines[0], time.Local)
		if err != nil {
			return 0, errors.New("sipp trace: unexpected time " + strconv.Quote(lines[0]))
		}
		first := lines[2]
		switch {
		case invite.IsZero() && strings.HasPrefix(first, "INVITE "):
			invite = at
		case !invite.IsZero() && (strings.HasPrefix(first, "SIP/2.0 180") || strings.HasPrefix(first, "SIP/2.0 200")):
			return at.Sub(invite), nil
		}
	}
	return 0, errors.New("sipp trace: no INVITE followed by 180 or 200")
}
