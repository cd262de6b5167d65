package node

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Stateless routes (Route.Stateless) answer a request over UDP without a
// sipgo server transaction: the reader that read the datagram parses it,
// runs the handler and sends the answer itself (RFC 3261 section 8.2.7,
// stateless UAS behaviour; allowed for any request but INVITE). A server
// transaction costs a goroutine, timers, a context and a table entry that
// lives 32 s after the answer (Timer J), which is most of the cost of a
// REGISTER. What the transaction did for a non-INVITE request is kept:
// the final answer is remembered by the request's branch for a while, and
// a retransmission of the request gets it again without running the
// handler (RFC 3261 section 17.2.2); a retransmission that arrives while
// the handler runs is absorbed, as in the Trying state.

// errTooLarge mirrors sipgo: a UDP answer must leave room under the MTU.
var errTooLarge = errors.New("node: response too large for UDP")

// stateless is one reader's stateless server transaction. The reader runs
// one handler at a time and reuses it for the next request, so a handler
// must send its answer before it returns and must not keep tx.
type stateless struct {
	front *udpFront
	to    netip.AddrPort // where the answer goes
	key   []byte         // the request's entry in the answer cache; nil: none
	// from and source are the last source address and its text: most
	// datagrams a reader reads in a row come from a few peers (a proxy,
	// a load generator), so the text is made once for them.
	from   netip.AddrPort
	source string
	sent   bool
	buf    bytes.Buffer
}

// closedDone is the Done channel of every stateless transaction: it is
// over as soon as it exists, as far as anyone waiting on it is concerned.
var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// serve answers one datagram of a stateless route. It returns false, and
// does nothing, for a message sipgo must see instead: one that does not
// parse, is not a request, or lacks what a server transaction needs
// (sipgo then logs it or answers it 400, as it does for any method).
func (s *stateless) serve(h Handler, data []byte, from netip.AddrPort) bool {
	msg, err := s.front.parser.ParseSIP(data)
	if err != nil {
		return false
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return false
	}
	via, cseq := req.Via(), req.CSeq()
	if via == nil || cseq == nil || req.CallID() == nil || req.From() == nil || req.To() == nil {
		return false
	}
	req.SetTransport("UDP")
	if from != s.from || s.source == "" {
		s.from, s.source = from, from.String()
	}
	req.SetSource(s.source)
	s.to = answerAddr(via, from)
	s.sent = false
	s.key = answerKey(s.key[:0], via, cseq.MethodName)
	if s.key != nil {
		switch answer, state := s.front.answers.begin(s.key); state {
		case answerSent:
			// A retransmission: the same answer again.
			_, _ = s.front.conn.WriteToUDPAddrPort(answer, s.to)
			return true
		case answerPending:
			return true // being answered by another reader
		}
	}
	h(req, s)
	if s.key != nil && !s.sent {
		s.front.answers.abandon(s.key)
	}
	return true
}

// answerAddr is where a response to a request over UDP goes (RFC 3261
// section 18.2.2, RFC 3581 section 4), as sipgo's transport computes it:
// to the source address, at the source port when the client asked for
// rport, else at the port of the Via (5060 when it names none).
func answerAddr(via *sip.ViaHeader, from netip.AddrPort) netip.AddrPort {
	if v, ok := via.Params.Get("rport"); ok && v == "" {
		return from
	}
	port := via.Port
	if port <= 0 || port > 65535 {
		port = int(sip.DefaultUdpPort)
	}
	return netip.AddrPortFrom(from.Addr(), uint16(port))
}

// answerKey appends the key that matches a request to its transaction
// (RFC 3261 section 17.2.3: branch, sent-by and method) to dst. It returns
// nil when the branch lacks the RFC 3261 magic cookie: such requests are
// answered every time.
func answerKey(dst []byte, via *sip.ViaHeader, method sip.RequestMethod) []byte {
	branch, _ := via.Params.Get("branch")
	if len(branch) <= len(sip.RFC3261BranchMagicCookie) || branch[:len(sip.RFC3261BranchMagicCookie)] != sip.RFC3261BranchMagicCookie {
		return nil
	}
	dst = append(dst, branch...)
	dst = append(dst, 0)
	dst = append(dst, via.Host...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(via.Port), 10)
	dst = append(dst, 0)
	return append(dst, method...)
}

// Respond sends res to the request's source. A final answer is kept for
// retransmissions of the request.
func (s *stateless) Respond(res *sip.Response) error {
	s.buf.Reset()
	res.StringWrite(&s.buf)
	data := s.buf.Bytes()
	if len(data) > sip.UDPMTUSize-200 {
		return errTooLarge
	}
	if _, err := s.front.conn.WriteToUDPAddrPort(data, s.to); err != nil {
		return err
	}
	if res.StatusCode >= 200 && !s.sent {
		s.sent = true
		if s.key != nil {
			s.front.answers.done(s.key, bytes.Clone(data))
		}
	}
	return nil
}

func (s *stateless) Terminate()                         {}
func (s *stateless) OnTerminate(sip.FnTxTerminate) bool { return false } // already over
func (s *stateless) Done() <-chan struct{}              { return closedDone }
func (s *stateless) Err() error                         { return nil }
func (s *stateless) Acks() <-chan *sip.Request          { return nil } // no INVITE, no ACK
func (s *stateless) OnCancel(sip.FnTxCancel) bool       { return false }

// The answer cache keeps the final answers of stateless requests for
// retransmissions: RFC 3261 keeps a non-INVITE server transaction 32 s
// after its answer (Timer J, 64×T1), and clients retransmit at 0.5, 1, 2,
// 4 s and then every 4 s. Entries live in two generations: a generation
// is retired when it is answerCacheAge old or holds answerCacheSize
// entries, and dropped when the next one is retired, so an answer stays
// at least that long or that many answers, and memory stays bounded (a
// few MiB) under any load.
const (
	answerCacheSize = 16384
	answerCacheAge  = 32 * time.Second
)

type answerState uint8

const (
	answerNew     answerState = iota // not seen: the caller answers it
	answerPending                    // another reader is answering it
	answerSent                       // answered: the answer is returned
)

type answerCache struct {
	mu        sync.Mutex
	cur, prev map[string][]byte // nil value: pending
	since     time.Time         // when cur began
	size      int
	age       time.Duration
	now       func() time.Time
}

func newAnswerCache(size int, age time.Duration) *answerCache {
	return &answerCache{cur: make(map[string][]byte, 64), prev: make(map[string][]byte, 64),
		since: time.Now(), size: size, age: age, now: time.Now}
}

// begin looks the request up; for a new one it records that an answer is
// pending.
func (c *answerCache) begin(key []byte) ([]byte, answerState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.cur[string(key)]
	if !ok {
		a, ok = c.prev[string(key)]
	}
	switch {
	case ok && a == nil:
		return nil, answerPending
	case ok:
		return a, answerSent
	}
	c.rotate()
	c.cur[string(key)] = nil
	return nil, answerNew
}

// done records the answer of a pending request.
func (c *answerCache) done(key, answer []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[string(key)]; ok {
		c.cur[string(key)] = answer
	} else if _, ok := c.prev[string(key)]; ok {
		c.prev[string(key)] = answer
	}
}

// abandon forgets a request whose handler sent no final answer, so that a
// retransmission runs the handler again.
func (c *answerCache) abandon(key []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, string(key))
	delete(c.prev, string(key))
}

// rotate retires the current generation when it is full or old.
func (c *answerCache) rotate() {
	now := c.now()
	if len(c.cur) < c.size && now.Sub(c.since) < c.age {
		return
	}
	clear(c.prev)
	c.prev, c.cur = c.cur, c.prev
	c.since = now
}
