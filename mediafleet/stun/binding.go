package stun

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/pion/stun/v2"
)

// Software is the value of the SOFTWARE attribute in every answer.
const Software = "Switchboard"

// headerSize is the fixed STUN header: type, length, magic cookie and
// transaction id (RFC 5389 section 6).
const headerSize = 20

// maxUnknown caps how many unknown attribute types a 420 answer lists, so a
// request stuffed with attributes cannot make the answer large.
const maxUnknown = 16

// Reasons a datagram is dropped. They are sentinels so that the drop path
// does not allocate an error per packet.
var (
	errNotSTUN        = errors.New("not a STUN message")
	errBadLength      = errors.New("STUN length does not match the datagram")
	errNotBinding     = errors.New("not a Binding Request")
	errBadFingerprint = errors.New("FINGERPRINT is not the last attribute or does not match")
	errBadSource      = errors.New("source address is not an IP address")
)

// binder turns one datagram into the answer to send back, if any. It holds
// the request and response messages so the read loop reuses their buffers;
// it is owned by one goroutine and is not safe for concurrent use.
type binder struct {
	req      stun.Message
	res      stun.Message
	ip       [16]byte
	unknown  [maxUnknown]stun.AttrType
	software stun.Software
}

func newBinder() *binder {
	const rawCapacity = 256 // a full answer is well under this
	return &binder{
		res:      stun.Message{Raw: make([]byte, 0, rawCapacity)},
		software: stun.NewSoftware(Software),
	}
}

// handle validates pkt as a Binding Request from `from` and returns the
// answer to send. A nil answer with a non-nil error means drop the packet;
// the error only says why, for a debug log. The returned slice is valid
// until the next call.
func (b *binder) handle(pkt []byte, from netip.AddrPort) ([]byte, error) {
	if err := b.parse(pkt); err != nil {
		return nil, err
	}
	addr := from.Addr().Unmap()
	if !addr.IsValid() {
		return nil, errBadSource
	}
	if n := b.collectUnknown(); n > 0 {
		if err := b.unknownAttributes(n); err != nil {
			return nil, err
		}
		return b.res.Raw, nil
	}
	if err := b.success(addr, from.Port()); err != nil {
		return nil, err
	}
	return b.res.Raw, nil
}

// parse decodes pkt into b.req and checks that it is a well-formed Binding
// Request. b.req.Raw aliases pkt: nothing writes through it.
func (b *binder) parse(pkt []byte) error {
	// A UDP datagram carries exactly one STUN message, whose length field
	// counts the attribute bytes after the header and is a multiple of 4.
	// Checking this up front also keeps pion's FINGERPRINT check (which
	// assumes the message ends the buffer) honest.
	if !stun.IsMessage(pkt) || pkt[0]&0xC0 != 0 {
		return errNotSTUN
	}
	length := int(binary.BigEndian.Uint16(pkt[2:4]))
	if length%4 != 0 || headerSize+length != len(pkt) {
		return errBadLength
	}
	b.req.Raw = pkt
	if err := b.req.Decode(); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if b.req.Type != stun.BindingRequest {
		return errNotBinding
	}
	if b.req.Contains(stun.AttrFingerprint) {
		attrs := b.req.Attributes
		if attrs[len(attrs)-1].Type != stun.AttrFingerprint {
			return errBadFingerprint
		}
		if err := stun.Fingerprint.Check(&b.req); err != nil {
			return errBadFingerprint
		}
	}
	return nil
}

// collectUnknown stores the comprehension-required attribute types of the
// request this server does not understand in b.unknown and returns how many
// there are.
func (b *binder) collectUnknown() int {
	n := 0
	for _, a := range b.req.Attributes {
		if !a.Type.Required() || understood(a.Type) || n == maxUnknown {
			continue
		}
		b.unknown[n] = a.Type
		n++
	}
	return n
}

// understood reports whether t is a comprehension-required attribute of
// RFC 5389 that a Binding Request may carry and this server can safely
// ignore (it uses no credentials, so USERNAME and MESSAGE-INTEGRITY carry
// nothing it needs).
func understood(t stun.AttrType) bool {
	switch t {
	case stun.AttrMappedAddress, stun.AttrUsername, stun.AttrMessageIntegrity,
		stun.AttrErrorCode, stun.AttrUnknownAttributes, stun.AttrRealm,
		stun.AttrNonce, stun.AttrXORMappedAddress:
		return true
	}
	return false
}

// success builds the Binding Success Response into b.res. It calls the
// attributes' AddTo methods directly rather than through Message.Build so
// that no value is boxed into an interface on the hot path.
func (b *binder) success(addr netip.Addr, port uint16) error {
	b.start(stun.BindingSuccess)
	// The IP is copied into a buffer the binder owns: net.IP from
	// netip.Addr.AsSlice would allocate per packet.
	b.ip = addr.As16()
	ip := b.ip[:]
	if addr.Is4() {
		ip = b.ip[12:]
	}
	xor := stun.XORMappedAddress{IP: ip, Port: int(port)}
	if err := xor.AddTo(&b.res); err != nil {
		return fmt.Errorf("add XOR-MAPPED-ADDRESS: %w", err)
	}
	mapped := stun.MappedAddress{IP: ip, Port: int(port)}
	if err := mapped.AddTo(&b.res); err != nil {
		return fmt.Errorf("add MAPPED-ADDRESS: %w", err)
	}
	return b.finish()
}

// unknownAttributes builds a 420 Binding Error Response listing the first
// n entries of b.unknown.
func (b *binder) unknownAttributes(n int) error {
	b.start(stun.BindingError)
	if err := stun.CodeUnknownAttribute.AddTo(&b.res); err != nil {
		return fmt.Errorf("add ERROR-CODE: %w", err)
	}
	if err := stun.UnknownAttributes(b.unknown[:n]).AddTo(&b.res); err != nil {
		return fmt.Errorf("add UNKNOWN-ATTRIBUTES: %w", err)
	}
	return b.finish()
}

// start resets b.res to an empty answer of type t to the current request.
func (b *binder) start(t stun.MessageType) {
	b.res.Reset()
	b.res.Type = t
	b.res.TransactionID = b.req.TransactionID
	b.res.WriteHeader()
}

// finish appends SOFTWARE and FINGERPRINT, which must come last.
func (b *binder) finish() error {
	if err := b.software.AddTo(&b.res); err != nil {
		return fmt.Errorf("add SOFTWARE: %w", err)
	}
	if err := stun.Fingerprint.AddTo(&b.res); err != nil {
		return fmt.Errorf("add FINGERPRINT: %w", err)
	}
	return nil
}
