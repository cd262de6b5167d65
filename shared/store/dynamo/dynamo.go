package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/switchboard/switchboard/shared/store"
)

// Client is the part of the DynamoDB API the adapter uses; *dynamodb.Client
// implements it.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Config configures the adapter.
type Config struct {
	TableName string      // default store.DefaultTableName
	Clock     store.Clock // decides which TTLs have passed; default time.Now
}

// DB is the DynamoDB adapter. It implements store.Store and is safe for
// concurrent use.
type DB struct {
	client Client
	cfg    Config
}

var _ store.Store = (*DB)(nil)

// New returns the adapter for the table cfg names, reached through client.
// It does not contact DynamoDB.
func New(client Client, cfg Config) (*DB, error) {
	if client == nil {
		return nil, errors.New("dynamo: no client")
	}
	if cfg.TableName == "" {
		cfg.TableName = store.DefaultTableName
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &DB{client: client, cfg: cfg}, nil
}

// Get implements store.Store with a strongly consistent read.
func (db *DB) Get(ctx context.Context, key store.Key) (store.Item, error) {
	out, err := db.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(db.cfg.TableName),
		Key:            keyItem(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, apiError(err))
	}
	if len(out.Item) == 0 || store.Expired(out.Item, db.cfg.Clock()) {
		return nil, fmt.Errorf("get %s: %w", key, store.ErrNotFound)
	}
	return out.Item, nil
}

func keyItem(key store.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		store.AttrPK: store.S(key.PK),
		store.AttrSK: store.S(key.SK),
	}
}

// apiError marks DynamoDB's validation failures (a malformed request, an
// attribute of the wrong type for an index key or an ADD) as
// store.ErrInvalid, the error the embedded adapter gives for the same
// requests.
func apiError(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}
