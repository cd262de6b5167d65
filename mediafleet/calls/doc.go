// Package calls is the B2BUA of a fleet node: it answers INVITEs from
// phones and from the trunk, decides where a call rings, rings it, and
// keeps both legs of each call with the media anchored through the
// node's RTP relay.
//
// # A call
//
// An INVITE from a phone must authenticate with Digest (a 407 challenge,
// as the registrar's 401; failures limited per source address and per
// device; disabled phones and locked users get 403). An INVITE from the
// configured trunk (matched by its source address) is taken without.
// The dialled string is resolved (resolve.go): an emergency number (110,
// 112: always to the trunk, no rule applies), an extension of the
// caller's account (user or group), one of the account's own numbers
// (national or E.164), a user or device id, or any other valid number,
// which goes out through the trunk. A call from the trunk reaches the
// account number it is for, routed like an internal call to it.
//
// A user rings all of the user's enabled phones that are registered
// (every contact) plus the user's external phones through the trunk; a
// number routed to one endpoint rings only that; a group rings every
// member's phones. The forks ring in parallel and the first 200 wins:
// the others get CANCEL (or BYE, should they answer all the same). When
// every fork fails the caller gets 486 if any was busy, else 603 if any
// declined, else 404 if all said so, else 480; nobody answering within
// Config.NoAnswer is 480. The called user's (or group's) forwarding rules
// apply: always (instead of ringing), busy, noAnswer after its seconds,
// unavailable (nothing to ring).
//
// # Dialogs and media
//
// The B2BUA holds two dialogs per call (dialog.go): toward the caller it
// is the UAS, toward the callee the UAC with a Call-ID of its own. Both
// SDP bodies are rewritten (sdp.go) to the relay's addresses, one relay
// port pair facing each phone; the codec lists pass as the phones wrote
// them. ACK, BYE from either phone, CANCEL from the caller, re-INVITE
// (hold and resume, passed on with the SDP rewritten) and INFO (passed
// on; DTMF in it becomes an event) are handled; the relay's RTP timeout
// ends the call with BYE to both phones.
//
// The phones' requests reach the B2BUA through the node (its Contact is
// the node's address). The requests it originates go out through the node
// too (Deps.Node): over UDP from the node's socket, the address phones
// behind NAT registered to and accept requests from, and over TCP on the
// connection a phone registered on. Without a node they go out of a UDP
// socket of the router's own (Config.Bind), where their responses arrive.
//
// # Records and events
//
// At its end every call writes a Record into its account's partition
// (SK CALL#<start>#<call id>) and publishes events in order: newCall,
// answer, DTMF, hangup with its cause.
//
// # What it is not
//
// It does not register phones (the registrar does, and tells where they
// are), relay media (package media does) or keep the directory. It has no
// voicemail, no call transfer (REFER), no early media toward forked calls
// and no session timers; DTMF carried in RTP (RFC 4733) passes through the
// relay untouched and is not reported, since the relay does not look into
// payloads.
package calls
