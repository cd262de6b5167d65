// Package registrar answers REGISTER requests for a fleet node (RFC 3261
// section 10): it authenticates phones with HTTP Digest (RFC 7616 as used
// by SIP, with the SHA-256 and MD5 algorithms of RFC 8760 and qop=auth:
// every 401 offers both, MD5 first unless Config.PreferSHA256 says
// otherwise), and holds where each phone can be reached.
//
// Authentication works from the directory's HA1 digests; the registrar
// never sees a password. Nonces are stateless and HMAC-stamped (package
// mediafleet/internal/digest, which the call router shares), so any node
// sharing the secret verifies a nonce another node issued; an expired
// nonce with otherwise correct credentials is answered with stale=true.
// The user name, the authorization user and the To user are the device
// id. Unknown devices are challenged and rejected exactly like
// wrong passwords, so answers do not reveal which ids exist. Failed
// attempts are counted per source address and per device id; past the
// limit, the address or device is answered 403 for a while.
//
// Bindings are kept in memory (for routing calls to the device) and in the
// table as model.Binding items with the binding's expiry as TTL and the
// node's name, so the API shows a phone online and any node finds where it
// is. Table writes happen in Run, batched, and only when a binding is new,
// moved, or its expiry moved by more than a third of the interval. The
// binding's address is where the REGISTER came from (RFC 3581 rport and
// received), and Run keeps NAT mappings open with OPTIONS pings on UDP and
// CRLF keep-alives on TCP.
//
// The registrar is not the SIP front (package node owns the sockets and
// hands REGISTER to ServeSIP) and does not route calls; the call router
// reads bindings through Bindings.
package registrar
