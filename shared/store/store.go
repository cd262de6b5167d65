package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item is one table item: DynamoDB attribute values by attribute name. It
// always carries PK and SK (strings) and, once written, the version "v".
type Item = map[string]types.AttributeValue

// Key addresses one item of the table.
type Key struct {
	PK string
	SK string
}

func (k Key) String() string { return k.PK + "|" + k.SK }

// Store is the table port. Implementations: store/dynamo and store/embedded.
type Store interface {
	// Get returns the item at key, or an error wrapping ErrNotFound when
	// there is none or it has expired. Reads are strongly consistent.
	Get(ctx context.Context, key Key) (Item, error)
	// Query returns one page of the items of one partition of the table or
	// of an index, in sort-key order (reversed when asked).
	Query(ctx context.Context, q Query) (Page, error)
	// Write applies up to MaxOps operations atomically: all of them or,
	// when any condition fails, none (the error then wraps ErrConflict and
	// is a *ConflictError naming the operation).
	Write(ctx context.Context, ops ...Op) error
}

// MaxOps is the most operations one Write may carry.
const MaxOps = 25

// Query selects items of one partition. Exactly one of Prefix or a range
// (From, To) may constrain the sort key; both bounds of a range are
// inclusive and an empty bound is open.
type Query struct {
	Index   string // "" for the table, else a name from Indexes
	PK      string // the partition (of the index, when Index is set)
	Prefix  string // sort key begins with
	From    string // sort key >= From
	To      string // sort key <= To
	Reverse bool   // descending sort-key order
	Limit   int    // page size: 1..MaxLimit, 0 for DefaultLimit
	Cursor  string // from a previous Page, to continue after it
}

// Page limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is one page of a query. Cursor is empty exactly when no further
// items matched at the time of the query; otherwise passing it in the next
// Query continues after the last item of this page.
type Page struct {
	Items  []Item
	Cursor string
}

// OpKind is what an operation does.
type OpKind int

const (
	OpPut OpKind = iota + 1
	OpDelete
	OpUpdate
)

func (k OpKind) String() string {
	switch k {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpUpdate:
		return "update"
	}
	return "op(" + strconv.Itoa(int(k)) + ")"
}

// Op is one operation of an atomic write. Build it with Put, Delete or
// Update and narrow it with If.
//
// Versions: a put with VersionEquals(n) stores version n+1, any other put
// stores version 1; an update increments the version (an update of a
// missing item creates it, at version 1, unless its condition forbids it).
//
// An update never revives an expired item: on an expired item that is still
// stored it fails with ErrConflict whatever its condition; write the item
// anew with a put.
type Op struct {
	Kind   OpKind
	Key    Key
	Item   Item     // OpPut: the whole item (PK and SK taken from Key)
	Set    Item     // OpUpdate: attributes to set
	Remove []string // OpUpdate: attributes to remove
	Add    []Add    // OpUpdate: integer attributes to add to
	Cond   Cond
}

// Add adds Delta to an integer attribute (a missing attribute counts as 0).
// With Min set, the operation's condition also requires the result to be at
// least *Min: balances and counters that must not go below a floor.
type Add struct {
	Attr  string
	Delta int64
	Min   *int64
}

// Put replaces the whole item at its PK and SK.
func Put(item Item) Op {
	k, _ := KeyOf(item)
	return Op{Kind: OpPut, Key: k, Item: item}
}

// Delete removes the item at key (no error when there is none, unless a
// condition says so).
func Delete(key Key) Op { return Op{Kind: OpDelete, Key: key} }

// Update changes some attributes of the item at key.
func Update(key Key) Op { return Op{Kind: OpUpdate, Key: key} }

// If returns o with condition c.
func (o Op) If(c Cond) Op { o.Cond = c; return o }

// SetAttr returns o with one more attribute to set (OpUpdate).
func (o Op) SetAttr(name string, v types.AttributeValue) Op {
	next := make(Item, len(o.Set)+1)
	for k, x := range o.Set {
		next[k] = x
	}
	next[name] = v
	o.Set = next
	return o
}

// AddTo returns o with one more integer addition (OpUpdate).
func (o Op) AddTo(name string, delta int64) Op {
	o.Add = append(append([]Add(nil), o.Add...), Add{Attr: name, Delta: delta})
	return o
}

// AddAtLeast returns o with one more integer addition whose result must be
// at least min.
func (o Op) AddAtLeast(name string, delta, min int64) Op {
	o.Add = append(append([]Add(nil), o.Add...), Add{Attr: name, Delta: delta, Min: &min})
	return o
}

// CondKind is the kind of a condition.
type CondKind int

const (
	CondNone CondKind = iota
	CondNotExists
	CondExists
	CondVersion
)

// Cond is a structured write condition. Expired items (see Expired) count
// as absent.
type Cond struct {
	Kind    CondKind
	Version int64
}

// NotExists requires that no (unexpired) item is at the key.
func NotExists() Cond { return Cond{Kind: CondNotExists} }

// Exists requires an (unexpired) item at the key.
func Exists() Cond { return Cond{Kind: CondExists} }

// VersionEquals requires an (unexpired) item at the key whose version is n.
func VersionEquals(n int64) Cond { return Cond{Kind: CondVersion, Version: n} }

// Errors callers branch on with errors.Is.
var (
	ErrNotFound = errors.New("store: item not found")
	ErrConflict = errors.New("store: condition failed")
	ErrInvalid  = errors.New("store: invalid request")
)

// ConflictError says which operation of a write failed its condition.
type ConflictError struct {
	Op  int // index into the write's operations
	Key Key
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: condition failed on operation %d (%s)", e.Op, e.Key)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// KeyOf reads PK and SK of an item.
func KeyOf(item Item) (Key, error) {
	pk, ok1 := item[AttrPK].(*types.AttributeValueMemberS)
	sk, ok2 := item[AttrSK].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 || pk.Value == "" || sk.Value == "" {
		return Key{}, fmt.Errorf("%w: item needs string attributes %s and %s", ErrInvalid, AttrPK, AttrSK)
	}
	return Key{PK: pk.Value, SK: sk.Value}, nil
}

// Version returns an item's version (0 when it has none).
func Version(item Item) int64 {
	n, _ := Int(item, AttrVersion)
	return n
}

// Int reads an integer number attribute.
func Int(item Item, name string) (int64, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	return n, err == nil
}

// Expired reports whether item carries a TTL at or before now. Like
// DynamoDB, a store may keep expired items for a while; both adapters hide
// them from Get and Query and treat them as absent in conditions.
func Expired(item Item, now time.Time) bool {
	ttl, ok := Int(item, AttrTTL)
	return ok && ttl <= now.Unix()
}

// S and N build string and number attribute values.
func S(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// N builds an integer number attribute value.
func N(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// Marshal encodes a Go struct (dynamodbav tags) into an item.
func Marshal(v any) (Item, error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("marshal item: %w", err)
	}
	return item, nil
}

// Unmarshal decodes an item into a Go struct (dynamodbav tags).
func Unmarshal(item Item, v any) error {
	if err := attributevalue.UnmarshalMap(item, v); err != nil {
		return fmt.Errorf("unmarshal item: %w", err)
	}
	return nil
}
