package account

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

func (e *usersEnv) device(id string) model.Device {
	e.t.Helper()
	var d model.Device
	if !e.get(model.DeviceKey(e.account, id), &d) {
		e.t.Fatalf("device %s not stored", id)
	}
	return d
}

func TestDevices(t *testing.T) {
	e := newUsersEnv(t, "")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example", Number: e.numbers[0],
		Devices: []DeviceInput{{Kind: "phone", Name: "Desk"}, {Kind: "voicemail"}}})
	if err != nil {
		t.Fatal(err)
	}
	phone, box := res.Devices[0].ID, res.Devices[1].ID
	bob := e.user("w1")

	// Status comes from unexpired bindings.
	now := time.Now()
	for i, exp := range []time.Time{now.Add(5 * time.Minute), now.Add(-time.Minute)} {
		k := model.BindingKey(e.account, phone, string(rune('a'+i)))
		b := model.Binding{PK: k.PK, SK: k.SK, Type: model.TypeBinding, Account: e.account, Device: phone,
			Contact: "sip:" + phone + "@192.0.2.1:5062", Source: "192.0.2.1:5062", Transport: "udp", UserAgent: "Test/1", Expires: exp.Unix()}
		if err := e.db.Write(e.ctx, store.Put(mustMarshal(b))); err != nil {
			t.Fatal(err)
		}
	}
	d, err := e.svc.Device(e.ctx, bob, phone)
	if err != nil || d.Status == nil || !d.Status.Online || len(d.Status.Registrations) != 1 || d.Status.Registrations[0].UserAgent != "Test/1" {
		t.Fatalf("device %+v %v", d, err)
	}
	list, err := e.svc.Devices(e.ctx, e.admin, "w1")
	if err != nil || len(list) != 2 || list[0].ID != phone || !list[0].Status.Online || list[1].Status != nil {
		t.Fatalf("devices %+v %v", list, err)
	}

	// A second voicemail is refused; a second phone is not.
	_, err = e.svc.CreateDevice(e.ctx, e.admin, "w1", DeviceInput{Kind: "voicemail"})
	wantKind(t, err, Conflict, "kind")
	mobile, err := e.svc.CreateDevice(e.ctx, e.admin, "w1", DeviceInput{Kind: "external", Number: "0171 1111111"})
	if err != nil || mobile.ID != e.account+"e2" || mobile.Number != "+491711111111" || mobile.Name != "Mobile" {
		t.Fatalf("created %+v %v", mobile, err)
	}
	_, err = e.svc.CreateDevice(e.ctx, e.admin, "w9", DeviceInput{Kind: "phone"})
	wantKind(t, err, NotFound, "")
	_, err = e.svc.CreateDevice(e.ctx, e.admin, "w1", DeviceInput{Kind: "external", Number: "abc"})
	wantKind(t, err, Invalid, "number")

	for _, tc := range []struct {
		name  string
		id    string
		u     DeviceUpdate
		kind  Kind
		field string
		check func(DeviceInfo) bool
	}{
		{"rename", phone, DeviceUpdate{Name: ptr("Kitchen")}, 0, "", func(d DeviceInfo) bool { return d.Name == "Kitchen" }},
		{"disable", phone, DeviceUpdate{Enabled: ptr(false)}, 0, "", func(d DeviceInfo) bool { return !d.Enabled }},
		{"empty name", phone, DeviceUpdate{Name: ptr(" ")}, Invalid, "name", nil},
		{"number of a phone", phone, DeviceUpdate{Number: ptr("+491711111111")}, Invalid, "number", nil},
		{"external number", mobile.ID, DeviceUpdate{Number: ptr("0172 2222222")}, 0, "", func(d DeviceInfo) bool { return d.Number == "+491722222222" }},
		{"bad external number", mobile.ID, DeviceUpdate{Number: ptr("12")}, Invalid, "number", nil},
		{"another account's id", "1234567e0", DeviceUpdate{Name: ptr("x")}, NotFound, "", nil},
		{"not a device id", e.account + "w1", DeviceUpdate{Name: ptr("x")}, NotFound, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.UpdateDevice(e.ctx, bob, tc.id, tc.u)
			if tc.kind != 0 {
				wantKind(t, err, tc.kind, tc.field)
				return
			}
			if err != nil || !tc.check(got) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}

	// Deleting the voicemail unroutes the number routed to it.
	if err := e.db.Write(e.ctx, store.Update(model.NumberKey(e.account, e.numbers[0])).
		SetAttr("route", store.S(model.RouteDevice)).SetAttr("target", store.S(box))); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Write(e.ctx, store.Update(model.NumberKey(e.account, e.numbers[1])).
		SetAttr("route", store.S(model.RouteUser)).SetAttr("target", store.S("w1")).SetAttr("device", store.S(box))); err != nil {
		t.Fatal(err)
	}
	rm, err := e.svc.DeleteDevice(e.ctx, e.admin, box)
	if err != nil || rm.Device != box || len(rm.Numbers) != 2 {
		t.Fatalf("removal %+v %v", rm, err)
	}
	var n0, n1 model.Number
	e.get(model.NumberKey(e.account, e.numbers[0]), &n0)
	e.get(model.NumberKey(e.account, e.numbers[1]), &n1)
	if n0.Route != "" || n0.Target != "" || n1.Route != model.RouteUser || n1.Target != "w1" || n1.Device != "" {
		t.Fatalf("numbers after delete: %+v / %+v", n0, n1)
	}
	if e.get(model.DeviceKey(e.account, box), nil) {
		t.Fatal("device still stored")
	}
	_, err = e.svc.Device(e.ctx, e.admin, box)
	wantKind(t, err, NotFound, "")
}
