package calls

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/model"
)

// TestExternalCall: a call to an external number, dialled in national or
// international form, goes out through the trunk, which challenges it
// with 407 first. w0 presents its caller id; w1 has none and is
// anonymous. The trunk hangs up.
func TestExternalCall(t *testing.T) {
	e := newEnv(t, options{trunk: &trunkBehavior{mode: answerNow, username: "sb-trunk", password: "trunk-secret"}})
	tests := []struct {
		name    string
		phone   int
		dial    string
		from    string
		privacy bool
	}{
		{"national, caller id", 0, "03012345678", numW0, false},
		{"international, anonymous", 1, "+493012345678", "anonymous", true},
		{"international with 00", 0, "00493012345678", numW0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.newPhone(tt.phone)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if _, err := p.call(ctx, tt.dial); err != nil {
				t.Fatalf("call: %v", err)
			}
			inv := e.trunk.next()
			if inv.Recipient.User != numOutside {
				t.Errorf("trunk was asked for %q", inv.Recipient.User)
			}
			if got := inv.From().Address.User; got != tt.from {
				t.Errorf("presented %q, want %q", got, tt.from)
			}
			if h := inv.GetHeader("Privacy"); (h != nil) != tt.privacy {
				t.Errorf("Privacy header %v, want present %v", h, tt.privacy)
			}
			if tt.privacy && inv.From().Address.Host != "anonymous.invalid" {
				t.Errorf("anonymous From %s", inv.From().String())
			}
			// The trunk hangs up.
			if err := e.trunk.answeredCall().Bye(ctx); err != nil {
				t.Fatalf("trunk BYE: %v", err)
			}
			p.next("bye")
			evs := e.callEvents()
			last := evs[len(evs)-1].Call
			// The far end's view of the caller: its number, or anonymous.
			if last.Direction != DirectionOut || last.To != "493012345678" || last.Cause != CauseCalleeHangup ||
				last.From != strings.TrimPrefix(tt.from, "+") {
				t.Errorf("hangup event %+v, want from %s", last, tt.from)
			}
			e.settle()
		})
	}
}

// TestInboundCall: the trunk calls w1's number (as digits without the
// plus): both of w1's phones ring, the caller's number shows in E.164.
// An unknown number gets 404.
func TestInboundCall(t *testing.T) {
	e := newEnv(t, options{trunk: &trunkBehavior{mode: answerNow}})
	a, b := e.newPhone(1), e.newPhone(2)
	a.register()
	b.register()
	b.setMode(ringForever)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := e.trunk.call(ctx, e, "4915123456789", "492111234561")
	if err != nil {
		t.Fatalf("inbound call: %v", err)
	}
	inv := a.next("invite")
	if got := inv.From().Address.User; got != "+4915123456789" {
		t.Errorf("phone sees %q", got)
	}
	b.next("cancel")
	_ = s.Bye(ctx)
	a.next("bye")
	evs := e.callEvents()
	if got := types(evs); !slices.Equal(got, []events.Type{events.NewCall, events.Answer, events.Hangup}) {
		t.Errorf("events %v", got)
	}
	if c := evs[0].Call; c.Direction != DirectionIn || c.From != "4915123456789" || !slices.Contains(c.Users, testAccount+"w1") {
		t.Errorf("newCall %+v", c)
	}
	e.settle()
	if _, err := e.trunk.call(ctx, e, "4915123456789", "492119999999"); status(err) != sip.StatusNotFound {
		t.Errorf("unknown number: %v, want 404", err)
	}
}

// TestExternalPhoneRingsWithUser: a user's external phone (A4) rings
// through the trunk in parallel with the user's desk phone.
func TestExternalPhoneRingsWithUser(t *testing.T) {
	e := newEnv(t, options{
		trunk: &trunkBehavior{mode: answerNow},
		world: func(w *world) {
			mobile := *w.phones[3]
			mobile.ID, mobile.Kind, mobile.External = testAccount+"e9", model.DeviceExternal, "+4915199999999"
			mobile.SK = model.DeviceKey(testAccount, mobile.ID).SK
			mobile.LookupPK = model.DeviceLookup(mobile.ID)
			mobile.HA1MD5, mobile.HA1SHA256, mobile.Owner = "", "", "w2"
			w.extra = append(w.extra, &mobile)
		},
	})
	caller, desk := e.newPhone(0), e.newPhone(3)
	caller.register()
	desk.register()
	desk.setMode(ringForever)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := caller.call(ctx, "12")
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	desk.next("invite")
	if got := e.trunk.next().Recipient.User; got != "+4915199999999" {
		t.Errorf("trunk rang %q", got)
	}
	desk.next("cancel")
	_ = s.Bye(ctx)
	evs := e.callEvents()
	if a := evs[1].Call.Answered; a != testAccount+"e9" {
		t.Errorf("answered by %q", a)
	}
	e.settle()
}
