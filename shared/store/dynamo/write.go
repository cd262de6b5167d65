package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

// Write implements store.Store. One operation is one conditional request;
// several are one TransactWriteItems call, which applies all or none.
func (db *DB) Write(ctx context.Context, ops ...store.Op) error {
	if err := store.CheckWrite(ops); err != nil {
		return err
	}
	now := db.cfg.Clock().Unix()
	items := make([]types.TransactWriteItem, len(ops))
	for i, op := range ops {
		items[i] = request(db.cfg.TableName, op, now)
	}
	if len(ops) == 1 {
		return db.writeOne(ctx, ops[0], items[0])
	}
	return db.transact(ctx, ops, items)
}

// request translates one operation. The result serves as an element of a
// transaction and, unpacked, as a single request.
func request(table string, op store.Op, now int64) types.TransactWriteItem {
	e := newExpr()
	var cond string
	switch op.Kind {
	case store.OpPut:
		cond = e.condition(op.Cond, now)
		return types.TransactWriteItem{Put: &types.Put{
			TableName:                 aws.String(table),
			Item:                      versioned(op),
			ConditionExpression:       optional(cond),
			ExpressionAttributeNames:  e.attrNames(),
			ExpressionAttributeValues: e.attrValues(),
		}}
	case store.OpDelete:
		cond = e.condition(op.Cond, now)
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 aws.String(table),
			Key:                       keyItem(op.Key),
			ConditionExpression:       optional(cond),
			ExpressionAttributeNames:  e.attrNames(),
			ExpressionAttributeValues: e.attrValues(),
		}}
	}
	// An update never revives an expired item (see store.Op): without a
	// condition it must find a live item or none, and "must not exist"
	// means not stored at all.
	switch op.Cond.Kind {
	case store.CondNone:
		cond = e.live(now)
	case store.CondNotExists:
		cond = "attribute_not_exists(" + e.name(store.AttrPK) + ")"
	default:
		cond = e.condition(op.Cond, now)
	}
	conds := []string{cond}
	for _, a := range op.Add {
		if a.Min != nil {
			conds = append(conds, e.floor(a))
		}
	}
	cond = and(conds...)
	update := e.update(op)
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(table),
		Key:                       keyItem(op.Key),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       optional(cond),
		ExpressionAttributeNames:  e.attrNames(),
		ExpressionAttributeValues: e.attrValues(),
	}}
}

// versioned returns the item a put stores: version n+1 after a
// VersionEquals(n) condition, else 1, whatever version the caller passed.
func versioned(op store.Op) store.Item {
	item := make(store.Item, len(op.Item)+1)
	for k, v := range op.Item {
		item[k] = v
	}
	v := int64(1)
	if op.Cond.Kind == store.CondVersion {
		v = op.Cond.Version + 1
	}
	item[store.AttrVersion] = store.N(v)
	return item
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (db *DB) writeOne(ctx context.Context, op store.Op, it types.TransactWriteItem) error {
	var err error
	switch {
	case it.Put != nil:
		p := it.Put
		_, err = db.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues,
		})
	case it.Delete != nil:
		d := it.Delete
		_, err = db.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: d.TableName, Key: d.Key, ConditionExpression: d.ConditionExpression,
			ExpressionAttributeNames: d.ExpressionAttributeNames, ExpressionAttributeValues: d.ExpressionAttributeValues,
		})
	default:
		u := it.Update
		_, err = db.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
			ConditionExpression:      u.ConditionExpression,
			ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		})
	}
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return &store.ConflictError{Op: 0, Key: op.Key}
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", op.Kind, op.Key, apiError(err))
	}
	return nil
}

func (db *DB) transact(ctx context.Context, ops []store.Op, items []types.TransactWriteItem) error {
	_, err := db.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		if err := cancellation(ops, canceled.CancellationReasons); err != nil {
			return err
		}
	}
	return fmt.Errorf("write %d operations: %w", len(ops), apiError(err))
}

// cancellation turns the reasons of a canceled transaction into the
// conflict of the first operation whose condition failed, or into
// store.ErrInvalid when DynamoDB rejected an operation as malformed. Other
// reasons (a conflicting concurrent transaction, throttling) are left to
// the caller as ordinary errors.
func cancellation(ops []store.Op, reasons []types.CancellationReason) error {
	for i, r := range reasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(ops) {
			return &store.ConflictError{Op: i, Key: ops[i].Key}
		}
	}
	for i, r := range reasons {
		if aws.ToString(r.Code) == "ValidationError" {
			return fmt.Errorf("%w: operation %d: %s", store.ErrInvalid, i, aws.ToString(r.Message))
		}
	}
	return nil
}
