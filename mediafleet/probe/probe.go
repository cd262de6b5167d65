// Package probe answers the API's connection checks in the fleet: for a
// check of a phone whose registrations this node holds, it sends OPTIONS
// to each of them (through the node, from the address the phone
// registered to, so NAT bindings and TCP connections are used as the
// phone expects) and writes the answers into the check's item, which the
// API is waiting on. Checks arrive as change notifications (package
// shared/change), like the directory's updates; a node without the
// phone's registrations leaves the check to the node that has them.
package probe

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/mediafleet/registrar"
	"github.com/switchboard/switchboard/shared/change"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Locator says where a phone is registered on this node;
// *registrar.Registrar implements it.
type Locator interface {
	Bindings(deviceID string) []registrar.Binding
}

// Sender sends through the node's sockets; *node.Node implements it.
type Sender interface {
	Client() *sipgo.Client
}

// Writer writes the results; the table port implements it.
type Writer interface {
	Write(ctx context.Context, ops ...store.Op) error
}

// Limits of the checks.
const (
	// DefaultTimeout bounds each OPTIONS.
	DefaultTimeout = 3 * time.Second
	// MaxAge is how old a check may be when it arrives: an older one is
	// no longer waited for.
	MaxAge = 30 * time.Second
	// maxConcurrent bounds the checks in flight.
	maxConcurrent = 64
)

// Prober runs the checks of one node.
type Prober struct {
	// Timeout bounds each OPTIONS (New sets DefaultTimeout).
	Timeout  time.Duration
	node     string
	bindings Locator
	send     Sender
	st       Writer
	log      *slog.Logger
	now      func() time.Time
	sem      chan struct{}
	wg       sync.WaitGroup
}

// New returns the prober of the node named node.
func New(node string, b Locator, s Sender, st Writer, logger *slog.Logger) *Prober {
	if logger == nil {
		logger = slog.Default()
	}
	return &Prober{Timeout: DefaultTimeout, node: node, bindings: b, send: s, st: st, log: logger, now: time.Now, sem: make(chan struct{}, maxConcurrent)}
}

// Apply starts the checks among a batch of notifications whose phone is
// registered here, and ignores everything else. It does not wait for
// them (Wait does); a check beyond the concurrency bound is dropped (the
// API reports it as unanswered).
func (p *Prober) Apply(_ context.Context, batch []change.Notification) error {
	for i := range batch {
		n := &batch[i]
		if n.Kind != change.KindProbe || n.Probe == nil || n.Removed {
			continue
		}
		pr := *n.Probe
		if age := p.now().Sub(time.UnixMilli(pr.Requested)); age > MaxAge {
			continue
		}
		bs := p.bindings.Bindings(pr.Device)
		if len(bs) == 0 {
			continue
		}
		select {
		case p.sem <- struct{}{}:
		default:
			p.log.Warn("connection check dropped: too many in flight", "device", pr.Device)
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { <-p.sem }()
			p.check(pr, bs)
		}()
	}
	return nil
}

// Wait waits for the checks in flight.
func (p *Prober) Wait() { p.wg.Wait() }

// check sends OPTIONS to every binding in parallel and writes the answers.
func (p *Prober) check(pr model.Probe, bs []registrar.Binding) {
	results := make([]model.ProbeResult, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Go(func() { results[i] = p.options(b) })
	}
	wg.Wait()
	pr.Done, pr.Node, pr.Results = true, p.node, results
	item, err := store.Marshal(pr)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		defer cancel()
		err = p.st.Write(ctx, store.Put(item).If(store.Exists()))
	}
	if err != nil {
		p.log.Warn("connection check not written", "device", pr.Device, "error", err.Error())
	}
}

// options sends one OPTIONS to a binding and times the answer.
func (p *Prober) options(b registrar.Binding) model.ProbeResult {
	res := model.ProbeResult{Contact: b.Contact.String(), Source: b.Source, Transport: b.Transport}
	req := sip.NewRequest(sip.OPTIONS, *b.Contact.Clone())
	transport := strings.ToUpper(b.Transport)
	if transport == "" {
		transport = "UDP"
	}
	req.SetTransport(transport)
	dest := b.Source
	if dest == "" {
		port := b.Contact.Port
		if port == 0 {
			port = 5060
		}
		dest = net.JoinHostPort(b.Contact.Host, strconv.Itoa(port))
	}
	req.SetDestination(dest)
	ctx, cancel := context.WithTimeout(context.Background(), p.Timeout)
	defer cancel()
	start := time.Now()
	ans, err := p.send.Client().Do(ctx, req)
	if err != nil {
		res.Error = "no answer"
		if ctx.Err() == nil {
			res.Error = err.Error()
		}
		return res
	}
	res.RTTMicros = max(time.Since(start).Microseconds(), 1)
	res.Status, res.Reason = ans.StatusCode, ans.Reason
	return res
}
