package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
)

// countingClient counts the Query requests the adapter sends.
type countingClient struct {
	*dynamodb.Client
	queries atomic.Int32
}

func (c *countingClient) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.Client.Query(ctx, in, opts...)
}

func put(t *testing.T, s store.Store, ops ...store.Op) {
	t.Helper()
	if err := s.Write(ctxFor(t), ops...); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func item(pk, sk string, attrs ...string) store.Item {
	it := store.Item{store.AttrPK: store.S(pk), store.AttrSK: store.S(sk)}
	for i := 0; i+1 < len(attrs); i += 2 {
		it[attrs[i]] = store.S(attrs[i+1])
	}
	return it
}

// pages runs a query to its end and returns each page's values of attr.
func pages(t *testing.T, s store.Store, q store.Query, attr string) [][]string {
	t.Helper()
	var out [][]string
	for range 50 {
		p, err := s.Query(ctxFor(t), q)
		if err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		var page []string
		for _, it := range p.Items {
			page = append(page, it[attr].(*types.AttributeValueMemberS).Value)
		}
		out = append(out, page)
		if p.Cursor == "" {
			return out
		}
		q.Cursor = p.Cursor
	}
	t.Fatal("query did not end")
	return nil
}

// TestExactPagesAroundExpiredItems checks that the adapter keeps asking
// while DynamoDB's filter drops expired items: only every fifth of 30
// items is alive, yet pages are full and the last one has no cursor.
func TestExactPagesAroundExpiredItems(t *testing.T) {
	tb := newTable(t)
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	client := &countingClient{Client: tb.db}
	s := tb.adapter(t, client, clock)
	var ops []store.Op
	for i := range 30 {
		it := item("ACCOUNT#1", fmt.Sprintf("I#%02d", i))
		if i%5 != 0 {
			it[store.AttrTTL] = store.N(now.Unix()) // expires at now: already gone
		}
		ops = append(ops, store.Put(it))
		if len(ops) == store.MaxOps {
			put(t, s, ops...)
			ops = nil
		}
	}
	put(t, s, ops...)
	tests := []struct {
		q    store.Query
		want [][]string
	}{
		{store.Query{PK: "ACCOUNT#1", Limit: 2}, [][]string{{"I#00", "I#05"}, {"I#10", "I#15"}, {"I#20", "I#25"}}},
		{store.Query{PK: "ACCOUNT#1", Limit: 6}, [][]string{{"I#00", "I#05", "I#10", "I#15", "I#20", "I#25"}}},
		{store.Query{PK: "ACCOUNT#1", Limit: 4, Reverse: true}, [][]string{{"I#25", "I#20", "I#15", "I#10"}, {"I#05", "I#00"}}},
		{store.Query{PK: "ACCOUNT#1", Limit: 1, From: "I#21", To: "I#29"}, [][]string{{"I#25"}}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.q), func(t *testing.T) {
			before := client.queries.Load()
			if got := pages(t, s, tc.q, store.AttrSK); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("pages %v, want %v", got, tc.want)
			}
			if n := client.queries.Load() - before; n <= int32(len(tc.want)) {
				t.Fatalf("%d requests for %d pages: the filter never made the adapter ask again", n, len(tc.want))
			}
		})
	}
}

func TestTransactionConflictNamesOperation(t *testing.T) {
	tb := newTable(t)
	s := tb.adapter(t, nil, nil)
	taken := store.Key{PK: "ACCOUNT#1", SK: "EXT#10"}
	put(t, s, store.Put(item(taken.PK, taken.SK)))
	fresh := func(sk string) store.Op { return store.Put(item("ACCOUNT#1", sk)) }
	clash := store.Put(item(taken.PK, taken.SK)).If(store.NotExists())
	tests := []struct {
		name string
		ops  []store.Op
		want int
	}{
		{"first", []store.Op{clash, fresh("A"), fresh("B")}, 0},
		{"middle", []store.Op{fresh("A"), clash, fresh("B")}, 1},
		{"last", []store.Op{fresh("A"), fresh("B"), clash}, 2},
		{"missing item", []store.Op{fresh("A"), store.Delete(store.Key{PK: "X", SK: "Y"}).If(store.Exists())}, 1},
		{"stale version", []store.Op{store.Update(taken).SetAttr("a", store.S("b")).If(store.VersionEquals(9)), fresh("A")}, 0},
		{"floor", []store.Op{fresh("A"), store.Update(taken).AddAtLeast("n", -1, 0)}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Write(ctxFor(t), tc.ops...)
			var ce *store.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) {
				t.Fatalf("want a conflict, got %v", err)
			}
			if ce.Op != tc.want || ce.Key != tc.ops[tc.want].Key {
				t.Fatalf("conflict on %d (%s), want %d (%s)", ce.Op, ce.Key, tc.want, tc.ops[tc.want].Key)
			}
			if _, err := s.Get(ctxFor(t), store.Key{PK: "ACCOUNT#1", SK: "A"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("failed transaction left an item: %v", err)
			}
		})
	}
}

// TestInvalidAttributes checks that requests DynamoDB rejects as
// malformed come back as store.ErrInvalid, as they do from the embedded
// adapter.
func TestInvalidAttributes(t *testing.T) {
	tb := newTable(t)
	s := tb.adapter(t, nil, nil)
	k := store.Key{PK: "ACCOUNT#1", SK: "USER#a"}
	put(t, s, store.Put(item(k.PK, k.SK, "name", "Ada")))
	tests := []struct {
		name string
		ops  []store.Op
	}{
		{"add to a string", []store.Op{store.Update(k).AddTo("name", 1)}},
		{"add to a string in a transaction", []store.Op{store.Put(item("ACCOUNT#1", "X")), store.Update(k).AddTo("name", 1)}},
		{"index key of the wrong type", []store.Op{store.Put(store.Item{"PK": store.S("A"), "SK": store.S("B"), "GSI1PK": store.N(1), "GSI1SK": store.S("x")})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Write(ctxFor(t), tc.ops...); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
		})
	}
}

// TestIndexCursor pages through items that share one index key: the
// cursor must carry the table key too, or DynamoDB could not continue
// between them.
func TestIndexCursor(t *testing.T) {
	tb := newTable(t)
	s := tb.adapter(t, nil, nil)
	var ops []store.Op
	want := []string{"ACCOUNT#0", "ACCOUNT#1", "ACCOUNT#2", "ACCOUNT#3", "ACCOUNT#4"}
	for _, pk := range want {
		ops = append(ops, store.Put(item(pk, "ROUTE", "GSI2PK", "ROUTE#shared", "GSI2SK", "same")))
	}
	ops = append(ops, store.Put(item("ACCOUNT#9", "ROUTE", "GSI2PK", "ROUTE#other", "GSI2SK", "same")))
	put(t, s, ops...)
	for _, reverse := range []bool{false, true} {
		got := pages(t, s, store.Query{Index: "GSI2", PK: "ROUTE#shared", Limit: 2, Reverse: reverse}, store.AttrPK)
		var flat []string
		for _, p := range got {
			flat = append(flat, p...)
		}
		if len(got) != 3 || len(flat) != len(want) {
			t.Fatalf("reverse %v: pages %v", reverse, got)
		}
		seen := map[string]bool{}
		for _, pk := range flat {
			if seen[pk] {
				t.Fatalf("reverse %v: %s twice in %v", reverse, pk, got)
			}
			seen[pk] = true
		}
	}
	p, err := s.Query(ctxFor(t), store.Query{Index: "GSI2", PK: "ROUTE#shared", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Query(ctxFor(t), store.Query{Index: "GSI2", PK: "ROUTE#other", Cursor: p.Cursor})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("cursor of another partition: want ErrInvalid, got %v", err)
	}
	_, err = s.Query(ctxFor(t), store.Query{PK: "ACCOUNT#0", Cursor: store.EncodeCursor(map[string]string{"PK": "ACCOUNT#0"})})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("cursor without sort key: want ErrInvalid, got %v", err)
	}
}

func TestCreateTable(t *testing.T) {
	tb := newTable(t)
	ctx := ctxFor(t)
	out, err := tb.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tb.name)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if d.TableStatus != types.TableStatusActive {
		t.Errorf("status %s", d.TableStatus)
	}
	if got := keys(d.KeySchema); got != "PK/SK" {
		t.Errorf("key schema %s", got)
	}
	if d.StreamSpecification == nil || !aws.ToBool(d.StreamSpecification.StreamEnabled) ||
		d.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("stream %+v", d.StreamSpecification)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing %+v", d.BillingModeSummary)
	}
	gsis := map[string]string{}
	for _, g := range d.GlobalSecondaryIndexes {
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("index %s projection %+v", aws.ToString(g.IndexName), g.Projection)
		}
		gsis[aws.ToString(g.IndexName)] = keys(g.KeySchema)
	}
	wantGSIs := map[string]string{}
	for _, ix := range store.Indexes {
		wantGSIs[ix.Name] = ix.PK + "/" + ix.SK
	}
	if !reflect.DeepEqual(gsis, wantGSIs) {
		t.Errorf("indexes %v, want %v", gsis, wantGSIs)
	}
	ttl, err := tb.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tb.name)})
	if err != nil {
		t.Fatal(err)
	}
	if s := ttl.TimeToLiveDescription; s == nil || aws.ToString(s.AttributeName) != store.AttrTTL || s.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL %+v", ttl.TimeToLiveDescription)
	}
}

func keys(schema []types.KeySchemaElement) string {
	var hash, rng string
	for _, k := range schema {
		if k.KeyType == types.KeyTypeHash {
			hash = aws.ToString(k.AttributeName)
		} else {
			rng = aws.ToString(k.AttributeName)
		}
	}
	return hash + "/" + rng
}

// TestReadStream checks the fields of converted records beyond what the
// conformance suite compares.
func TestReadStream(t *testing.T) {
	tb := newTable(t)
	s := tb.adapter(t, nil, nil)
	start := time.Now().Add(-time.Minute)
	put(t, s, store.Put(item("ACCOUNT#1", "USER#a", "name", "Ada")))
	put(t, s, store.Delete(store.Key{PK: "ACCOUNT#1", SK: "USER#a"}))
	recs, err := dynamo.ReadStream(ctxFor(t), tb.streams, tb.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].EventName != store.EventInsert || recs[1].EventName != store.EventRemove {
		t.Fatalf("records %+v", recs)
	}
	for _, r := range recs {
		if r.EventID == "" || r.EventVersion == "" || r.AWSRegion == "" || r.EventSourceArn == "" || r.EventSource != "aws:dynamodb" {
			t.Errorf("record header %+v", r)
		}
		if r.Change.SizeBytes <= 0 || r.Change.ApproximateCreationDateTime.Before(start) {
			t.Errorf("record body %+v", r.Change)
		}
	}
	img, err := store.FromStream(recs[0].Change.NewImage)
	if err != nil || img["name"].(*types.AttributeValueMemberS).Value != "Ada" || store.Version(img) != 1 {
		t.Fatalf("new image %v, %v", img, err)
	}
	if recs[1].Change.NewImage != nil || recs[1].Change.OldImage == nil {
		t.Fatalf("remove images %+v", recs[1].Change)
	}
}

func TestNew(t *testing.T) {
	if _, err := dynamo.New(nil, dynamo.Config{}); err == nil {
		t.Fatal("New accepted a nil client")
	}
}
