package calls

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// TestRewriteSDP rewrites each description of testdata/sdp to a relay
// address and compares with its golden file; the result must parse to
// the relay's address with the phone's codecs and direction.
func TestRewriteSDP(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sdp", "*.sdp"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no descriptions: %v", err)
	}
	relay4 := netip.MustParseAddrPort("203.0.113.1:20000")
	relay6 := netip.MustParseAddrPort("[2001:db8::1]:20002")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sdp")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			before, err := parseSDP(in)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			relay := relay4
			if before.Addr.Addr().Is6() {
				relay = relay6
			}
			out := rewriteSDP(in, relay)
			golden := strings.TrimSuffix(f, ".sdp") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("rewritten:\n%s\nwant:\n%s", out, want)
			}
			after, err := parseSDP(out)
			if err != nil {
				t.Fatalf("rewritten does not parse: %v", err)
			}
			wantAddr := relay
			switch {
			case before.Addr.Port() == 0:
				wantAddr = netip.AddrPortFrom(relay.Addr(), 0)
			case before.Addr.Addr().IsUnspecified():
				wantAddr = netip.AddrPortFrom(before.Addr.Addr(), relay.Port())
			}
			if after.Addr != wantAddr || after.Direction != before.Direction || !slices.Equal(after.Formats, before.Formats) {
				t.Errorf("rewritten reads %+v, phone's %+v", after, before)
			}
		})
	}
}

func TestParseSDP(t *testing.T) {
	tests := []struct {
		name, body string
		want       sdpInfo
		err        error
	}{
		{"minimal", "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n",
			sdpInfo{Addr: netip.MustParseAddrPort("192.0.2.1:4000"), Direction: "sendrecv", Formats: []string{"0"}}, nil},
		{"media level wins", "v=0\r\nc=IN IP4 192.0.2.1\r\na=sendonly\r\nm=audio 4000 RTP/AVP 8 0\r\nc=IN IP4 192.0.2.2\r\na=recvonly\r\n",
			sdpInfo{Addr: netip.MustParseAddrPort("192.0.2.2:4000"), Direction: "recvonly", Formats: []string{"8", "0"}}, nil},
		{"session direction", "v=0\r\nc=IN IP4 192.0.2.1\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\n",
			sdpInfo{Addr: netip.MustParseAddrPort("192.0.2.1:4000"), Direction: "inactive", Formats: []string{"0"}}, nil},
		{"video first", "v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 0\r\n",
			sdpInfo{Addr: netip.MustParseAddrPort("192.0.2.1:4000"), Direction: "sendrecv", Formats: []string{"0"}}, nil},
		{"empty", "  \r\n", sdpInfo{}, errNoSDP},
		{"no audio", "v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 5000 RTP/AVP 96\r\n", sdpInfo{}, errNoAudio},
		{"no version", "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", sdpInfo{}, errBadSDP},
		{"no address", "v=0\r\nm=audio 4000 RTP/AVP 0\r\n", sdpInfo{}, errBadSDP},
		{"bad port", "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 70000 RTP/AVP 0\r\n", sdpInfo{}, errBadSDP},
		{"short m line", "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000\r\n", sdpInfo{}, errBadSDP},
		{"host name", "v=0\r\nc=IN IP4 phone.example\r\nm=audio 4000 RTP/AVP 0\r\n", sdpInfo{}, errBadSDP},
		{"IP6 with IP4 address", "v=0\r\nc=IN IP6 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", sdpInfo{}, errBadSDP},
		{"garbage line", "v=0\r\nhello\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", sdpInfo{}, errBadSDP},
		{"too long", "v=0\r\n" + strings.Repeat("a=x\r\n", maxSDP/5+1), sdpInfo{}, errSDPTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSDP([]byte(tt.body))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err == nil && (got.Addr != tt.want.Addr || got.Direction != tt.want.Direction || !slices.Equal(got.Formats, tt.want.Formats)) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHolds(t *testing.T) {
	for dir, want := range map[string]bool{"sendrecv": false, "recvonly": false, "sendonly": true, "inactive": true} {
		if got := (sdpInfo{Addr: netip.MustParseAddrPort("192.0.2.1:4000"), Direction: dir}).holds(); got != want {
			t.Errorf("%s holds = %v", dir, got)
		}
	}
	if !(sdpInfo{Addr: netip.MustParseAddrPort("0.0.0.0:4000"), Direction: "sendrecv"}).holds() {
		t.Error("c=0.0.0.0 does not hold")
	}
}

// FuzzSDP: no description makes the parser or the rewriter panic, and
// what parses rewrites to something that parses with the same codecs.
func FuzzSDP(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sdp", "*.sdp"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte("v=0\nm=audio 1 RTP/AVP 0\nc=IN IP4 1.2.3.4"))
	relay := netip.MustParseAddrPort("127.0.0.1:20000")
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseSDP(b)
		if err != nil {
			return
		}
		out := rewriteSDP(b, relay)
		again, err := parseSDP(out)
		if err != nil {
			t.Fatalf("rewritten does not parse: %v\n%q\n%q", err, b, out)
		}
		if !slices.Equal(again.Formats, info.Formats) {
			t.Fatalf("formats %v became %v", info.Formats, again.Formats)
		}
	})
}
