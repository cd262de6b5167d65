package dynamo

import (
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

// expr collects the placeholders of one request's expressions. Every
// attribute name and value goes through a placeholder, so no attribute
// name can clash with DynamoDB's reserved words (ttl is one) and no value
// is ever spliced into an expression.
type expr struct {
	names  map[string]string // placeholder -> attribute name
	byName map[string]string // attribute name -> placeholder
	values map[string]types.AttributeValue
	now    string // placeholder of the current time, once used
}

func newExpr() *expr {
	return &expr{
		names:  map[string]string{},
		byName: map[string]string{},
		values: map[string]types.AttributeValue{},
	}
}

// name returns the placeholder of an attribute name, the same one each time.
func (e *expr) name(attr string) string {
	if p, ok := e.byName[attr]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(e.names))
	e.names[p] = attr
	e.byName[attr] = p
	return p
}

// value returns a new placeholder for v.
func (e *expr) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = v
	return p
}

// nowValue returns the placeholder of the current time in Unix seconds.
func (e *expr) nowValue(now int64) string {
	if e.now == "" {
		e.now = e.value(store.N(now))
	}
	return e.now
}

// attrNames and attrValues return the placeholder maps for a request, nil
// when empty (DynamoDB rejects empty maps).
func (e *expr) attrNames() map[string]string {
	if len(e.names) == 0 {
		return nil
	}
	return e.names
}

func (e *expr) attrValues() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}

// live holds for an item that is absent or whose TTL has not passed.
func (e *expr) live(now int64) string {
	ttl := e.name(store.AttrTTL)
	return "attribute_not_exists(" + ttl + ") OR " + ttl + " > " + e.nowValue(now)
}

// condition translates a structured condition; expired items count as
// absent.
func (e *expr) condition(c store.Cond, now int64) string {
	switch c.Kind {
	case store.CondNotExists:
		ttl := e.name(store.AttrTTL)
		return "attribute_not_exists(" + e.name(store.AttrPK) + ") OR " + ttl + " <= " + e.nowValue(now)
	case store.CondExists:
		return "attribute_exists(" + e.name(store.AttrPK) + ") AND (" + e.live(now) + ")"
	case store.CondVersion:
		return e.name(store.AttrVersion) + " = " + e.value(store.N(c.Version)) + " AND (" + e.live(now) + ")"
	}
	return ""
}

// floor is the condition that keeps a+Delta at or above *Min: the current
// value must be at least t = *Min - Delta, and a missing attribute (which
// counts as 0) passes when 0+Delta reaches the floor. t is computed with
// big integers, so extreme operands cannot overflow; DynamoDB numbers hold
// 38 digits.
func (e *expr) floor(a store.Add) string {
	t := new(big.Int).Sub(big.NewInt(*a.Min), big.NewInt(a.Delta))
	n := e.name(a.Attr)
	cmp := n + " >= " + e.value(&types.AttributeValueMemberN{Value: t.String()})
	if a.Delta >= *a.Min {
		return "attribute_not_exists(" + n + ") OR " + cmp
	}
	return cmp
}

// update builds an update expression: the op's SET, REMOVE and ADD clauses
// plus the version increment.
func (e *expr) update(op store.Op) string {
	names := make([]string, 0, len(op.Set))
	for name := range op.Set {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic expressions
	var set, remove []string
	for _, name := range names {
		set = append(set, e.name(name)+" = "+e.value(op.Set[name]))
	}
	for _, name := range op.Remove {
		remove = append(remove, e.name(name))
	}
	add := []string{e.name(store.AttrVersion) + " " + e.value(store.N(1))}
	for _, a := range op.Add {
		add = append(add, e.name(a.Attr)+" "+e.value(store.N(a.Delta)))
	}
	var b strings.Builder
	if len(set) > 0 {
		b.WriteString("SET " + strings.Join(set, ", ") + " ")
	}
	if len(remove) > 0 {
		b.WriteString("REMOVE " + strings.Join(remove, ", ") + " ")
	}
	b.WriteString("ADD " + strings.Join(add, ", "))
	return b.String()
}

// and joins conditions, each in parentheses when there are several; empty
// ones are left out.
func and(conds ...string) string {
	var parts []string
	for _, c := range conds {
		if c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return "(" + strings.Join(parts, ") AND (") + ")"
}
