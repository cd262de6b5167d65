package registrar

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Binding is one registration of a device held by this node: where the
// device is reached and until when.
type Binding struct {
	Account string
	Device  string
	// ID names the binding in the table (model.BindingKey); it is derived
	// from the contact, so a refresh of the same contact keeps it.
	ID        string
	Contact   sip.Uri // the Contact the device registered
	Source    string  // host:port the REGISTER came from (RFC 3581)
	Transport string  // "udp" or "tcp", as the REGISTER arrived
	UserAgent string
	// Registered is when the contact was first bound; Expires when the
	// binding lapses unless refreshed.
	Registered time.Time
	Expires    time.Time
}

// entry is a binding with what the registrar needs to update it.
type entry struct {
	Binding
	key     string // the contact URI as text
	callID  string
	cseq    uint32
	updated time.Time
	written time.Time // the expiry last written to the table; zero before the first write
}

// bindings holds the node's bindings by device id.
type bindings struct {
	mu       sync.Mutex
	byDevice map[string][]*entry
}

func newBindings() *bindings { return &bindings{byDevice: map[string][]*entry{}} }

// registration is an authenticated REGISTER's request for change.
type registration struct {
	account, device   string
	source, transport string
	userAgent         string
	callID            string
	cseq              uint32
	plan              contactPlan
	maxContacts       int
	node              string
	now               time.Time
}

// refreshWriteFraction: a refresh that keeps source, transport and user
// agent is written to the table only once its expiry has moved by more
// than this fraction of the interval since the last write. Phones that
// re-register often then cost no table write each time; the sweep
// rewrites an item before it would lapse under a live binding.
const refreshWriteFraction = 3

// apply changes the device's bindings as reg asks (RFC 3261 section 10.3
// step 7) and returns the bindings now current and the table writes the
// change needs. changed reports whether contacts were added or removed.
//
// A contact bound before under the same Call-ID with a CSeq not lower than
// this request's is left alone (an out-of-order REGISTER). When a device
// exceeds the contact limit, its least recently refreshed bindings go:
// a phone that changed address without unregistering must not lock itself
// out.
func (t *bindings) apply(reg *registration) (current []Binding, ops []store.Op, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := live(t.byDevice[reg.device], reg.now)
	if reg.plan.removeAll {
		for _, e := range cur {
			ops = append(ops, store.Delete(model.BindingKey(e.Account, e.Device, e.ID)))
		}
		changed = len(cur) > 0
		cur = nil
	}
	for _, c := range reg.plan.changes {
		i := slices.IndexFunc(cur, func(e *entry) bool { return e.key == c.key })
		if i >= 0 && cur[i].callID == reg.callID && reg.cseq <= cur[i].cseq {
			continue
		}
		if c.expires == 0 {
			if i >= 0 {
				e := cur[i]
				ops = append(ops, store.Delete(model.BindingKey(e.Account, e.Device, e.ID)))
				cur = slices.Delete(cur, i, i+1)
				changed = true
			}
			continue
		}
		var e *entry
		moved := i < 0
		if moved {
			changed = true
			e = &entry{key: c.key}
			e.Account, e.Device, e.ID = reg.account, reg.device, bindingID(c.key)
			e.Contact, e.Registered = c.uri, reg.now
			cur = append(cur, e)
		} else {
			e = cur[i]
			moved = e.Source != reg.source || e.Transport != reg.transport || e.UserAgent != reg.userAgent
		}
		e.Source, e.Transport, e.UserAgent = reg.source, reg.transport, reg.userAgent
		e.callID, e.cseq, e.updated = reg.callID, reg.cseq, reg.now
		e.Expires = reg.now.Add(c.expires)
		if moved || e.Expires.Sub(e.written) > c.expires/refreshWriteFraction {
			ops = append(ops, store.Put(e.item(reg.node)))
			e.written = e.Expires
		}
	}
	if over := len(cur) - reg.maxContacts; over > 0 {
		slices.SortStableFunc(cur, func(a, b *entry) int { return a.updated.Compare(b.updated) })
		for _, e := range cur[:over] {
			ops = append(ops, store.Delete(model.BindingKey(e.Account, e.Device, e.ID)))
		}
		cur = slices.Delete(cur, 0, over)
		changed = true
	}
	if len(cur) == 0 {
		delete(t.byDevice, reg.device)
	} else {
		t.byDevice[reg.device] = cur
	}
	current = make([]Binding, len(cur))
	for i, e := range cur {
		current[i] = e.Binding
	}
	return current, ops, changed
}

// live drops the expired entries of list, in place.
func live(list []*entry, now time.Time) []*entry {
	return slices.DeleteFunc(list, func(e *entry) bool { return !now.Before(e.Expires) })
}

// of returns the live bindings of a device, oldest registration first.
func (t *bindings) of(device string, now time.Time) []Binding {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Binding
	for _, e := range t.byDevice[device] {
		if now.Before(e.Expires) {
			out = append(out, e.Binding)
		}
	}
	slices.SortFunc(out, func(a, b Binding) int { return a.Registered.Compare(b.Registered) })
	return out
}

// all returns every live binding.
func (t *bindings) all(now time.Time) []Binding {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Binding
	for _, list := range t.byDevice {
		for _, e := range list {
			if now.Before(e.Expires) {
				out = append(out, e.Binding)
			}
		}
	}
	slices.SortFunc(out, func(a, b Binding) int {
		return cmp.Or(cmp.Compare(a.Device, b.Device), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// sweep drops expired bindings, removes those of devices keep rejects
// (gone, disabled or locked since they registered) and returns the table
// writes that brings: deletions, and rewrites of bindings whose item
// would lapse within horizon although the binding lives longer (a refresh
// that was not written because its expiry moved only a little).
func (t *bindings) sweep(now time.Time, horizon time.Duration, node string, keep func(device string) bool) (ops []store.Op) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for dev, list := range t.byDevice {
		list = live(list, now)
		if !keep(dev) {
			for _, e := range list {
				ops = append(ops, store.Delete(model.BindingKey(e.Account, e.Device, e.ID)))
			}
			list = nil
		}
		for _, e := range list {
			if e.written.Before(e.Expires) && e.written.Before(now.Add(horizon)) {
				ops = append(ops, store.Put(e.item(node)))
				e.written = e.Expires
			}
		}
		if len(list) == 0 {
			delete(t.byDevice, dev)
		} else {
			t.byDevice[dev] = list
		}
	}
	return ops
}

// bindingID derives a short, stable id from a contact URI.
func bindingID(contact string) string {
	sum := sha256.Sum256([]byte(contact))
	return hex.EncodeToString(sum[:8])
}

// item is the table item of the binding (model.Binding), expiring with it.
func (e *entry) item(node string) store.Item {
	k := model.BindingKey(e.Account, e.Device, e.ID)
	it := store.Item{
		store.AttrPK:   store.S(k.PK),
		store.AttrSK:   store.S(k.SK),
		model.AttrType: store.S(model.TypeBinding),
		"account":      store.S(e.Account),
		"device":       store.S(e.Device),
		"contact":      store.S(e.key),
		"source":       store.S(e.Source),
		"transport":    store.S(e.Transport),
		store.AttrTTL:  store.N(e.Expires.Unix()),
	}
	if e.UserAgent != "" {
		it["userAgent"] = store.S(e.UserAgent)
	}
	if node != "" {
		it["node"] = store.S(node)
	}
	return it
}
