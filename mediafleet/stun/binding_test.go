package stun

import (
	"bytes"
	"encoding/hex"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pion/stun/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// attrChangeRequest is CHANGE-REQUEST (RFC 5780), a comprehension-required
// attribute this server does not implement.
const attrChangeRequest stun.AttrType = 0x0003

// fixedTID makes answers byte-for-byte reproducible for the golden files.
var fixedTID = [stun.TransactionIDSize]byte{0x53, 0x77, 0x69, 0x74, 0x63, 0x68, 0x62, 0x6f, 0x61, 0x72, 0x64, 0x21}

func request(t testing.TB, extra ...stun.Setter) *stun.Message {
	t.Helper()
	setters := append([]stun.Setter{stun.NewTransactionIDSetter(fixedTID), stun.BindingRequest}, extra...)
	m, err := stun.Build(setters...)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	return m
}

func TestHandleAnswers(t *testing.T) {
	tests := []struct {
		name   string
		req    *stun.Message
		from   netip.AddrPort
		want   *net.UDPAddr
		golden string
	}{
		{
			name:   "IPv4 with fingerprint",
			req:    request(t, stun.Fingerprint),
			from:   netip.MustParseAddrPort("192.0.2.10:40000"),
			want:   &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 40000},
			golden: "binding-success-ipv4",
		},
		{
			name:   "IPv4 without fingerprint",
			req:    request(t),
			from:   netip.MustParseAddrPort("192.0.2.10:40000"),
			want:   &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 40000},
			golden: "binding-success-ipv4",
		},
		{
			name:   "IPv4-mapped source on a dual-stack socket",
			req:    request(t, stun.Fingerprint),
			from:   netip.MustParseAddrPort("[::ffff:192.0.2.10]:40000"),
			want:   &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 40000},
			golden: "binding-success-ipv4",
		},
		{
			name:   "IPv6",
			req:    request(t, stun.Fingerprint),
			from:   netip.MustParseAddrPort("[2001:db8::7]:5060"),
			want:   &net.UDPAddr{IP: net.ParseIP("2001:db8::7"), Port: 5060},
			golden: "binding-success-ipv6",
		},
		{
			name:   "known comprehension-required attributes are ignored",
			req:    request(t, stun.NewUsername("alice"), stun.NewSoftware("softphone"), stun.Fingerprint),
			from:   netip.MustParseAddrPort("192.0.2.10:40000"),
			want:   &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 40000},
			golden: "binding-success-ipv4",
		},
	}
	b := newBinder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer, err := b.handle(tt.req.Raw, tt.from)
			if err != nil {
				t.Fatalf("handle: %v", err)
			}
			res := new(stun.Message)
			if err := stun.Decode(answer, res); err != nil {
				t.Fatalf("decode answer: %v", err)
			}
			checkSuccess(t, res, fixedTID, tt.want)
			golden(t, tt.golden, answer)
		})
	}
}

func TestHandleUnknownAttributes(t *testing.T) {
	const attrPadding stun.AttrType = 0x0026 // PADDING (RFC 5780)
	tests := []struct {
		name    string
		extra   []stun.Setter
		unknown []stun.AttrType
	}{
		{
			name:    "CHANGE-REQUEST",
			extra:   []stun.Setter{rawAttr{attrChangeRequest, []byte{0, 0, 0, 6}}, stun.Fingerprint},
			unknown: []stun.AttrType{attrChangeRequest},
		},
		{
			name:    "two unknown, one optional unknown is not listed",
			extra:   []stun.Setter{rawAttr{attrChangeRequest, []byte{0, 0, 0, 0}}, rawAttr{0x8055, []byte("x")}, rawAttr{attrPadding, []byte{0, 0, 0, 0}}},
			unknown: []stun.AttrType{attrChangeRequest, attrPadding},
		},
	}
	b := newBinder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(t, tt.extra...)
			answer, err := b.handle(req.Raw, netip.MustParseAddrPort("192.0.2.10:40000"))
			if err != nil {
				t.Fatalf("handle: %v", err)
			}
			res := new(stun.Message)
			if err := stun.Decode(answer, res); err != nil {
				t.Fatalf("decode answer: %v", err)
			}
			checkUnknown(t, res, fixedTID, tt.unknown)
		})
	}
}

// rawAttr adds an attribute of any type, for requests pion has no helper for.
type rawAttr struct {
	typ   stun.AttrType
	value []byte
}

func (a rawAttr) AddTo(m *stun.Message) error {
	m.Add(a.typ, a.value)
	return nil
}

// checkUnknown asserts that res is a 420 Binding Error Response to tid that
// lists want as UNKNOWN-ATTRIBUTES.
func checkUnknown(t *testing.T, res *stun.Message, tid [stun.TransactionIDSize]byte, want []stun.AttrType) {
	t.Helper()
	if res.Type != stun.BindingError {
		t.Fatalf("type = %v, want %v", res.Type, stun.BindingError)
	}
	if res.TransactionID != tid {
		t.Errorf("transaction id = %x, want %x", res.TransactionID, tid)
	}
	var code stun.ErrorCodeAttribute
	if err := code.GetFrom(res); err != nil || code.Code != stun.CodeUnknownAttribute {
		t.Errorf("ERROR-CODE = %v (%v), want 420", code, err)
	}
	var unknown stun.UnknownAttributes
	if err := unknown.GetFrom(res); err != nil {
		t.Fatalf("UNKNOWN-ATTRIBUTES: %v", err)
	}
	if unknown.String() != stun.UnknownAttributes(want).String() {
		t.Errorf("UNKNOWN-ATTRIBUTES = %v, want %v", unknown, stun.UnknownAttributes(want))
	}
	if err := stun.Fingerprint.Check(res); err != nil {
		t.Errorf("FINGERPRINT: %v", err)
	}
}

func TestHandleDrops(t *testing.T) {
	b := newBinder()
	from := netip.MustParseAddrPort("192.0.2.10:40000")
	for _, tt := range malformed(t) {
		t.Run(tt.name, func(t *testing.T) {
			answer, err := b.handle(tt.data, from)
			if err == nil || answer != nil {
				t.Errorf("handle = %x, %v; want no answer and a reason", answer, err)
			}
		})
	}
	t.Run("invalid source", func(t *testing.T) {
		answer, err := b.handle(request(t).Raw, netip.AddrPort{})
		if err == nil || answer != nil {
			t.Errorf("handle = %x, %v; want no answer and a reason", answer, err)
		}
	})
}

// golden compares got with testdata/name.hex, or rewrites it with -update.
// The files are hex so that a diff of a wire-format change is readable.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".hex")
	text := hex.Dump(got)
	if *update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatalf("update %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (run go test -update to create it): %v", path, err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(text) {
		t.Errorf("answer differs from %s:\ngot:\n%s\nwant:\n%s", path, text, want)
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(request(f).Raw, []byte{192, 0, 2, 10}, uint16(40000))
	f.Add(request(f, stun.Fingerprint).Raw, []byte{192, 0, 2, 10}, uint16(40000))
	f.Add(request(f, stun.NewSoftware("x"), stun.Fingerprint).Raw, []byte(net.ParseIP("2001:db8::7").To16()), uint16(5060))
	f.Add(request(f, rawAttr{attrChangeRequest, []byte{0, 0, 0, 6}}).Raw, []byte{127, 0, 0, 1}, uint16(1))
	f.Add(stun.MustBuild(stun.NewTransactionIDSetter(fixedTID), stun.BindingSuccess).Raw, []byte{127, 0, 0, 1}, uint16(1))
	f.Add([]byte{}, []byte{}, uint16(0))

	b := newBinder()
	f.Fuzz(func(t *testing.T, pkt, ip []byte, port uint16) {
		addr, _ := netip.AddrFromSlice(ip)
		from := netip.AddrPortFrom(addr, port)
		in := bytes.Clone(pkt)
		answer, err := b.handle(pkt, from)
		if !bytes.Equal(in, pkt) {
			t.Fatalf("handle modified its input")
		}
		if err != nil {
			if answer != nil {
				t.Fatalf("answer %x with error %v", answer, err)
			}
			return
		}
		// Whatever was answered must be a well-formed answer to the
		// request's transaction.
		req, res := new(stun.Message), new(stun.Message)
		if err := stun.Decode(pkt, req); err != nil {
			t.Fatalf("answered a request pion cannot decode: %v", err)
		}
		if err := stun.Decode(answer, res); err != nil {
			t.Fatalf("answer does not decode: %v", err)
		}
		if res.TransactionID != req.TransactionID {
			t.Fatalf("answer transaction id %x, request %x", res.TransactionID, req.TransactionID)
		}
		if err := stun.Fingerprint.Check(res); err != nil {
			t.Fatalf("answer fingerprint: %v", err)
		}
		switch res.Type {
		case stun.BindingSuccess:
			var xor stun.XORMappedAddress
			if err := xor.GetFrom(res); err != nil {
				t.Fatalf("XOR-MAPPED-ADDRESS: %v", err)
			}
			got, _ := netip.AddrFromSlice(xor.IP)
			if got.Unmap() != addr.Unmap() || xor.Port != int(port) {
				t.Fatalf("XOR-MAPPED-ADDRESS %s, sender %s", xor, from)
			}
		case stun.BindingError:
		default:
			t.Fatalf("answer type %v", res.Type)
		}
	})
}

func BenchmarkBinding(b *testing.B) {
	benchmarks := []struct {
		name string
		from string
	}{
		{name: "IPv4", from: "192.0.2.10:40000"},
		{name: "IPv6", from: "[2001:db8::7]:5060"},
	}
	req := request(b, stun.NewSoftware("softphone"), stun.Fingerprint)
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			from := netip.MustParseAddrPort(bm.from)
			bd := newBinder()
			b.ReportAllocs()
			b.SetBytes(int64(len(req.Raw)))
			for b.Loop() {
				if _, err := bd.handle(req.Raw, from); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("drop", func(b *testing.B) {
		from := netip.MustParseAddrPort("192.0.2.10:40000")
		res := stun.MustBuild(stun.NewTransactionIDSetter(fixedTID), stun.BindingSuccess).Raw
		bd := newBinder()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bd.handle(res, from); err == nil {
				b.Fatal("answered a response")
			}
		}
	})
}
