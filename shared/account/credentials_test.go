package account

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"testing"
)

func md5Of(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256Of(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var sipPasswordShape = regexp.MustCompile(`^[A-Za-z0-9]{20}$`)

func TestCredentials(t *testing.T) {
	e := newUsersEnv(t, "")
	res, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example",
		Devices: []DeviceInput{{Kind: "phone"}, {Kind: "external", Number: "+49 171 2345678"}}})
	if err != nil {
		t.Fatal(err)
	}
	phone := res.Devices[0].ID
	bob := e.user("w1")

	c, err := e.svc.Credentials(e.ctx, bob, phone)
	if err != nil {
		t.Fatal(err)
	}
	want := Credentials{Device: phone, Domain: "sip.switchboard.test", Realm: "sip.switchboard.test", Registrar: "127.0.0.1", RegistrarPort: 5060,
		OutboundProxy: "127.0.0.1", OutboundProxyPort: 5060, STUNServer: "127.0.0.1", STUNPort: 10000, Expires: 600,
		Username: phone, AuthUser: phone, Password: c.Password}
	if c != want {
		t.Fatalf("credentials\n got %+v\nwant %+v", c, want)
	}
	if !sipPasswordShape.MatchString(c.Password) {
		t.Fatalf("password %q is not 20 letters and digits", c.Password)
	}
	d := e.device(phone)
	a1 := phone + ":sip.switchboard.test:" + c.Password
	if d.HA1MD5 != md5Of(a1) || d.HA1SHA256 != sha256Of(a1) {
		t.Fatalf("HA1 digests do not match id:realm:password")
	}
	if admin, err := e.svc.Credentials(e.ctx, e.admin, phone); err != nil || admin.Password != c.Password {
		t.Fatalf("admin sees %+v, %v", admin, err)
	}
	_, err = e.svc.Credentials(e.ctx, e.admin, res.Devices[1].ID)
	wantKind(t, err, Invalid, "")

	// Rotating gives a new password; the digests follow it, and the old
	// one is gone from the store.
	r, err := e.svc.RotatePassword(e.ctx, bob, phone)
	if err != nil {
		t.Fatal(err)
	}
	if r.Password == c.Password || !sipPasswordShape.MatchString(r.Password) {
		t.Fatalf("rotated password %q (was %q)", r.Password, c.Password)
	}
	d2 := e.device(phone)
	a1 = phone + ":sip.switchboard.test:" + r.Password
	if d2.HA1MD5 != md5Of(a1) || d2.HA1SHA256 != sha256Of(a1) || d2.HA1MD5 == d.HA1MD5 || string(d2.Secret) == string(d.Secret) {
		t.Fatal("rotation did not replace the digests and the sealed password")
	}
	if again, err := e.svc.Credentials(e.ctx, e.admin, phone); err != nil || again.Password != r.Password {
		t.Fatalf("after rotation: %v, %v", again.Password, err)
	}
	entries, _, _ := e.svc.Audit(e.ctx, e.admin, "", 1)
	if entries[0].Action != "device.password" || entries[0].Target != phone {
		t.Fatalf("audit %+v", entries[0])
	}
	// A sealed password moved to another device does not open.
	if _, err := e.svc.seal.Open(e.ctx, d2.Secret, []byte(res.Devices[1].ID)); err == nil {
		t.Fatal("the sealed password opens for another device id")
	}
}
