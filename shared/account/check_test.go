package account

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// A connection check: offline at once without registrations; with one,
// the probe the API writes is answered by a node (here a goroutine in the
// node's place, watching the table) and its answers come back; the
// phone's user may check it, another user may not, nor a non-phone.
func TestCheckDevice(t *testing.T) {
	e := newUsersEnv(t, "")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example",
		Devices: []DeviceInput{{Kind: "phone", Name: "Desk"}, {Kind: "voicemail"}}})
	if err != nil {
		t.Fatal(err)
	}
	phone, box := res.Devices[0].ID, res.Devices[1].ID
	bob := e.user("w1")

	c, err := e.svc.CheckDevice(e.ctx, bob, phone)
	if err != nil || c.Online || c.Reachable || !c.Complete || len(c.Results) != 0 {
		t.Fatalf("check of an unregistered phone: %+v %v", c, err)
	}
	_, err = e.svc.CheckDevice(e.ctx, e.admin, box)
	wantKind(t, err, Invalid, "")
	_, err = e.svc.CheckDevice(e.ctx, e.user("w2"), phone)
	wantKind(t, err, Forbidden, "")

	k := model.BindingKey(e.account, phone, "b1")
	b := model.Binding{PK: k.PK, SK: k.SK, Type: model.TypeBinding, Account: e.account, Device: phone,
		Contact: "sip:" + phone + "@192.0.2.1:5062", Source: "192.0.2.1:5062", Transport: "udp", Expires: time.Now().Add(time.Minute).Unix()}
	if err := e.db.Write(e.ctx, store.Put(mustMarshal(b))); err != nil {
		t.Fatal(err)
	}
	// The node's part: answer the probe once it is written.
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			page, err := e.db.Query(ctx, store.Query{PK: model.AccountPK(e.account), Prefix: "PROBE#" + phone + "#"})
			if err == nil && len(page.Items) == 1 {
				var p model.Probe
				if store.Unmarshal(page.Items[0], &p) == nil && p.Device == phone && !p.Done {
					p.Done, p.Node = true, "node-a"
					p.Results = []model.ProbeResult{{Contact: b.Contact, Source: b.Source, Transport: "udp", Status: 200, Reason: "OK", RTTMicros: 1500}}
					_ = e.db.Write(ctx, store.Put(mustMarshal(p)).If(store.Exists()))
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	c, err = e.svc.CheckDevice(e.ctx, bob, phone)
	if err != nil || !c.Online || !c.Reachable || !c.Complete || len(c.Results) != 1 {
		t.Fatalf("check of a registered phone: %+v %v", c, err)
	}
	if r := c.Results[0]; r.Status != 200 || r.RTTMillis != 1.5 || !r.Reachable || !strings.HasPrefix(r.Contact, "sip:"+phone) {
		t.Errorf("result %+v", r)
	}
}
