package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"strings"
	"testing"

	icholy "github.com/icholy/digest"

	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
)

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Credentials
		err  error
	}{
		{
			name: "typical phone",
			in:   `Digest username="1234567e0",realm="switchboard.local",nonce="abc",uri="sip:switchboard.local",response="0123",algorithm=MD5,cnonce="xyz",qop=auth,nc=00000001`,
			want: Credentials{Username: "1234567e0", Realm: "switchboard.local", Nonce: "abc", URI: "sip:switchboard.local",
				Response: "0123", Algorithm: "MD5", Cnonce: "xyz", QOP: "auth", NC: "00000001"},
		},
		{
			name: "spaces, case and unknown parameters",
			in:   "digest   Username = \"a\" ,\tREALM=\"r\", foo=bar, qop=\"auth\", opaque=\"\", userhash=false",
			want: Credentials{Username: "a", Realm: "r", QOP: "auth", Userhash: "false"},
		},
		{
			name: "escaped quote",
			in:   `Digest username="a\"b", realm="r"`,
			want: Credentials{Username: `a"b`, Realm: "r"},
		},
		{name: "basic", in: `Basic YWxhZGRpbjpvcGVuc2VzYW1l`, err: ErrNotDigest},
		{name: "scheme only", in: `Digest`, err: ErrNotDigest},
		{name: "scheme glued", in: `Digestusername="a"`, err: ErrNotDigest},
		{name: "duplicate", in: `Digest username="a", username="b"`, err: ErrDuplicate},
		{name: "unterminated quote", in: `Digest username="a`, err: ErrMalformed},
		{name: "no value", in: `Digest username=`, err: ErrMalformed},
		{name: "no equals", in: `Digest username "a"`, err: ErrMalformed},
		{name: "trailing comma", in: `Digest username="a",`, err: ErrMalformed},
		{name: "junk after value", in: `Digest username="a" realm="r"`, err: ErrMalformed},
		{name: "line break in quotes", in: "Digest username=\"a\r\nb\"", err: ErrMalformed},
		{name: "too long", in: "Digest username=\"" + strings.Repeat("a", 5000) + "\"", err: ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCredentials(tt.in)
			if err != tt.err {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestCheckResponse checks the verification against credentials made by
// an independent client implementation (the one sipgo uses).
func TestVerify(t *testing.T) {
	const user, realm, password = "1234567e0", "switchboard.local", "s3cret"
	for _, alg := range []Algorithm{MD5, SHA256} {
		t.Run(alg.String(), func(t *testing.T) {
			chal := &icholy.Challenge{Realm: realm, Nonce: "n0nce", Algorithm: alg.String(), QOP: []string{"auth"}}
			cred, err := icholy.Digest(chal, icholy.Options{Method: "REGISTER", URI: "sip:" + realm, Username: user, Password: password})
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseCredentials(cred.String())
			if err != nil {
				t.Fatal(err)
			}
			ha1 := fixture.HA1(md5.New, user, realm, password)
			if alg == SHA256 {
				ha1 = fixture.HA1(sha256.New, user, realm, password)
			}
			if !Verify(alg, ha1, "REGISTER", &c) {
				t.Error("right password refused")
			}
			c.Response = strings.ToUpper(c.Response)
			if !Verify(alg, ha1, "REGISTER", &c) {
				t.Error("upper-case hex refused")
			}
			if Verify(alg, ha1, "INVITE", &c) {
				t.Error("response accepted for another method")
			}
			wrong := fixture.HA1(md5.New, user, realm, "wrong")
			if alg == SHA256 {
				wrong = fixture.HA1(sha256.New, user, realm, "wrong")
			}
			if Verify(alg, wrong, "REGISTER", &c) {
				t.Error("wrong password accepted")
			}
			other := MD5
			if alg == MD5 {
				other = SHA256
			}
			if Verify(other, ha1, "REGISTER", &c) {
				t.Error("response accepted under the other algorithm")
			}
			allocs := testing.AllocsPerRun(100, func() { Verify(alg, ha1, "REGISTER", &c) })
			if allocs != 0 && !raceEnabled {
				t.Errorf("Verify allocates %v times", allocs)
			}
		})
	}
}

func TestParseCredentialsAllocatesNothing(t *testing.T) {
	v := `Digest username="1234567e0", realm="switchboard.local", nonce="abc", uri="sip:switchboard.local", response="0123", algorithm=SHA-256, cnonce="xyz", qop=auth, nc=00000001`
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseCredentials(v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("ParseCredentials allocates %v times", allocs)
	}
}
