package registrar

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/icholy/digest"

	"github.com/switchboard/switchboard/mediafleet/internal/fixture"
)

// responseHex is the response a client computes, in hex.
func responseHex(alg algorithm, ha1, method string, c *credentials) string {
	var out [sha256.Size]byte
	digestResponse(alg, ha1, method, c, &out)
	return hex.EncodeToString(out[:alg.size()])
}

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want credentials
		err  error
	}{
		{
			name: "typical phone",
			in:   `Digest username="1234567e0",realm="switchboard.local",nonce="abc",uri="sip:switchboard.local",response="0123",algorithm=MD5,cnonce="xyz",qop=auth,nc=00000001`,
			want: credentials{username: "1234567e0", realm: "switchboard.local", nonce: "abc", uri: "sip:switchboard.local",
				response: "0123", algorithm: "MD5", cnonce: "xyz", qop: "auth", nc: "00000001"},
		},
		{
			name: "spaces, case and unknown parameters",
			in:   "digest   Username = \"a\" ,\tREALM=\"r\", foo=bar, qop=\"auth\", opaque=\"\", userhash=false",
			want: credentials{username: "a", realm: "r", qop: "auth", userhash: "false"},
		},
		{
			name: "escaped quote",
			in:   `Digest username="a\"b", realm="r"`,
			want: credentials{username: `a"b`, realm: "r"},
		},
		{name: "basic", in: `Basic YWxhZGRpbjpvcGVuc2VzYW1l`, err: errNotDigest},
		{name: "scheme only", in: `Digest`, err: errNotDigest},
		{name: "scheme glued", in: `Digestusername="a"`, err: errNotDigest},
		{name: "duplicate", in: `Digest username="a", username="b"`, err: errDuplicate},
		{name: "unterminated quote", in: `Digest username="a`, err: errMalformed},
		{name: "no value", in: `Digest username=`, err: errMalformed},
		{name: "no equals", in: `Digest username "a"`, err: errMalformed},
		{name: "trailing comma", in: `Digest username="a",`, err: errMalformed},
		{name: "junk after value", in: `Digest username="a" realm="r"`, err: errMalformed},
		{name: "line break in quotes", in: "Digest username=\"a\r\nb\"", err: errMalformed},
		{name: "too long", in: "Digest username=\"" + strings.Repeat("a", 5000) + "\"", err: errTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCredentials(tt.in)
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
func TestCheckResponse(t *testing.T) {
	const user, realm, password = "1234567e0", "switchboard.local", "s3cret"
	for _, alg := range []algorithm{algMD5, algSHA256} {
		t.Run(alg.String(), func(t *testing.T) {
			chal := &digest.Challenge{Realm: realm, Nonce: "n0nce", Algorithm: alg.String(), QOP: []string{"auth"}}
			cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + realm, Username: user, Password: password})
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseCredentials(cred.String())
			if err != nil {
				t.Fatal(err)
			}
			ha1 := fixture.HA1(md5.New, user, realm, password)
			if alg == algSHA256 {
				ha1 = fixture.HA1(sha256.New, user, realm, password)
			}
			if !checkResponse(alg, ha1, "REGISTER", &c) {
				t.Error("right password refused")
			}
			c.response = strings.ToUpper(c.response)
			if !checkResponse(alg, ha1, "REGISTER", &c) {
				t.Error("upper-case hex refused")
			}
			if checkResponse(alg, ha1, "INVITE", &c) {
				t.Error("response accepted for another method")
			}
			wrong := fixture.HA1(md5.New, user, realm, "wrong")
			if alg == algSHA256 {
				wrong = fixture.HA1(sha256.New, user, realm, "wrong")
			}
			if checkResponse(alg, wrong, "REGISTER", &c) {
				t.Error("wrong password accepted")
			}
			other := algMD5
			if alg == algMD5 {
				other = algSHA256
			}
			if checkResponse(other, ha1, "REGISTER", &c) {
				t.Error("response accepted under the other algorithm")
			}
			allocs := testing.AllocsPerRun(100, func() { checkResponse(alg, ha1, "REGISTER", &c) })
			if allocs != 0 && !raceEnabled {
				t.Errorf("checkResponse allocates %v times", allocs)
			}
		})
	}
}

func TestParseCredentialsAllocatesNothing(t *testing.T) {
	v := `Digest username="1234567e0", realm="switchboard.local", nonce="abc", uri="sip:switchboard.local", response="0123", algorithm=SHA-256, cnonce="xyz", qop=auth, nc=00000001`
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := parseCredentials(v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("parseCredentials allocates %v times", allocs)
	}
}
