package embedded_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/embedded"
	"github.com/switchboard/switchboard/shared/store/storetest"
)

func open(t testing.TB, clock store.Clock) *embedded.DB {
	t.Helper()
	db, err := embedded.Open(embedded.Config{Path: filepath.Join(t.TempDir(), "table.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock store.Clock) storetest.Harness {
		db := open(t, clock)
		return storetest.Harness{
			Store: db,
			Changes: func(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
				return db.ReadChanges(ctx, 0, 100000)
			},
		}
	})
}
