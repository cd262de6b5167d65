package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

// Query implements store.Store. Queries of the table read consistently;
// index queries cannot (DynamoDB's global indexes are eventually
// consistent).
func (db *DB) Query(ctx context.Context, q store.Query) (store.Page, error) {
	q, ix, err := store.CheckQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	in, err := db.queryInput(q, ix)
	if err != nil {
		return store.Page{}, err
	}
	items, more, err := db.collect(ctx, in, q.Limit)
	if err != nil {
		return store.Page{}, fmt.Errorf("query %s %q: %w", indexLabel(q), q.PK, err)
	}
	page := store.Page{Items: items}
	if more {
		page.Cursor = store.CursorFor(items[len(items)-1], ix)
	}
	return page, nil
}

func indexLabel(q store.Query) string {
	if q.Index == "" {
		return "table"
	}
	return "index " + q.Index
}

// collect reads up to limit unexpired items and reports whether more
// match. DynamoDB applies its Limit before the TTL filter, so a response
// may hold fewer items than asked for although more follow: it asks for
// one item beyond the page and keeps asking while the filter drops items,
// which makes pages exact and the cursor present only when needed.
func (db *DB) collect(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]store.Item, bool, error) {
	var items []store.Item
	for {
		in.Limit = aws.Int32(int32(limit + 1 - len(items)))
		out, err := db.client.Query(ctx, in)
		if err != nil {
			return nil, false, apiError(err)
		}
		items = append(items, out.Items...)
		if len(items) > limit {
			return items[:limit], true, nil
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items, false, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func (db *DB) queryInput(q store.Query, ix store.Index) (*dynamodb.QueryInput, error) {
	e := newExpr()
	key := e.name(ix.PK) + " = " + e.value(store.S(q.PK))
	if sk := sortKeyCondition(e, q, ix.SK); sk != "" {
		key += " AND " + sk
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(db.cfg.TableName),
		KeyConditionExpression: aws.String(key),
		FilterExpression:       aws.String(e.live(db.cfg.Clock().Unix())),
		ScanIndexForward:       aws.Bool(!q.Reverse),
	}
	if q.Index != "" {
		in.IndexName = aws.String(q.Index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if q.Cursor != "" {
		start, err := startKey(q, ix)
		if err != nil {
			return nil, err
		}
		in.ExclusiveStartKey = start
	}
	in.ExpressionAttributeNames = e.attrNames()
	in.ExpressionAttributeValues = e.attrValues()
	return in, nil
}

// sortKeyCondition constrains the sort key by the query's prefix or range.
func sortKeyCondition(e *expr, q store.Query, sk string) string {
	switch {
	case q.Prefix != "":
		return "begins_with(" + e.name(sk) + ", " + e.value(store.S(q.Prefix)) + ")"
	case q.From != "" && q.To != "":
		return e.name(sk) + " BETWEEN " + e.value(store.S(q.From)) + " AND " + e.value(store.S(q.To))
	case q.From != "":
		return e.name(sk) + " >= " + e.value(store.S(q.From))
	case q.To != "":
		return e.name(sk) + " <= " + e.value(store.S(q.To))
	}
	return ""
}

// startKey turns a cursor into DynamoDB's ExclusiveStartKey. A cursor of
// another partition is rejected here: DynamoDB would fail it with a less
// helpful message.
func startKey(q store.Query, ix store.Index) (map[string]types.AttributeValue, error) {
	keys, err := store.DecodeCursor(q.Cursor, store.CursorKeys(ix)...)
	if err != nil {
		return nil, err
	}
	if keys[ix.PK] != q.PK {
		return nil, fmt.Errorf("%w: cursor belongs to another partition", store.ErrInvalid)
	}
	start := make(map[string]types.AttributeValue, len(keys))
	for _, name := range store.CursorKeys(ix) {
		start[name] = store.S(keys[name])
	}
	return start, nil
}
