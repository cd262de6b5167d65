package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/switchboard/switchboard/shared/store"
)

// Buckets of the file.
var (
	bucketItems   = []byte("items")
	bucketChanges = []byte("changes")
	bucketMeta    = []byte("meta")
)

func indexBucket(ix store.Index) []byte { return []byte("index:" + ix.Name) }

// Config configures the embedded store.
type Config struct {
	Path       string        // the database file; its folder is created
	Table      string        // the table name, used in change records
	Retention  time.Duration // how long change records are kept (default 24 h, like a DynamoDB stream)
	SweepEvery time.Duration // how often expired items are deleted and the change log trimmed (default 1 min)
	Clock      store.Clock   // default time.Now
	Logger     *slog.Logger  // default slog.Default()
}

// ErrLocked says another process holds the database file.
var ErrLocked = errors.New("embedded: database file is locked by another process")

// DB is the embedded store. It implements store.Store.
type DB struct {
	bolt   *bolt.DB
	cfg    Config
	arn    string
	notify *notifier
	writes chan writeReq
	// closing is closed by Close; the janitor and committer then end and
	// close done and committed.
	closing   chan struct{}
	stop      context.CancelFunc
	done      chan struct{}
	committed chan struct{}
	once      sync.Once
}

var _ store.Store = (*DB)(nil)

// Open opens or creates the database file and starts its janitor, which
// deletes expired items and trims the change log until Close.
func Open(cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("embedded: no database path")
	}
	if cfg.Table == "" {
		cfg.Table = store.DefaultTableName
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
		return nil, fmt.Errorf("embedded: create folder for %s: %w", cfg.Path, err)
	}
	b, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: time.Second})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrLocked, cfg.Path)
	case err != nil:
		return nil, fmt.Errorf("embedded: open %s: %w (is it a Switchboard database file?)", cfg.Path, err)
	}
	if err := initBuckets(b); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("embedded: %s: %w", cfg.Path, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	db := &DB{
		bolt:      b,
		cfg:       cfg,
		arn:       "arn:aws:dynamodb:local:000000000000:table/" + cfg.Table + "/stream/embedded",
		notify:    newNotifier(),
		writes:    make(chan writeReq),
		closing:   make(chan struct{}),
		stop:      stop,
		done:      make(chan struct{}),
		committed: make(chan struct{}),
	}
	go db.janitor(ctx)
	go db.committer()
	return db, nil
}

// fileFormat marks a file as a Switchboard database, so that opening some
// other bbolt file fails clearly instead of mixing data.
const fileFormat = "switchboard-table-1"

func initBuckets(b *bolt.DB) error {
	return b.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil && tx.Bucket(bucketItems) != nil {
			return errors.New("not a Switchboard database file")
		}
		if meta != nil {
			if got := string(meta.Get([]byte("format"))); got != fileFormat {
				return fmt.Errorf("unknown database format %q", got)
			}
		}
		names := [][]byte{bucketMeta, bucketItems, bucketChanges, bucketTTL}
		for _, ix := range store.Indexes {
			names = append(names, indexBucket(ix))
		}
		for _, name := range names {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put([]byte("format"), []byte(fileFormat))
	})
}

// Close stops the janitor, wakes waiting subscribers and closes the file
// (bbolt syncs every commit, so nothing is left to flush).
func (db *DB) Close() error {
	var err error
	db.once.Do(func() {
		db.stop()
		close(db.closing)
		<-db.done
		<-db.committed
		db.notify.close()
		err = db.bolt.Close()
	})
	return err
}

// Path is the database file.
func (db *DB) Path() string { return db.cfg.Path }

// Get implements store.Store.
func (db *DB) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var it store.Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		it, err = loadItem(tx, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if it == nil || store.Expired(it, db.cfg.Clock()) {
		return nil, fmt.Errorf("get %s: %w", key, store.ErrNotFound)
	}
	return it, nil
}

// loadItem reads the item at key as stored, expired or not; nil when absent.
func loadItem(tx *bolt.Tx, key store.Key) (store.Item, error) {
	raw := tx.Bucket(bucketItems).Get(encodeKey(key.PK, key.SK))
	if raw == nil {
		return nil, nil
	}
	return decodeItem(raw)
}

// Items are kept as DynamoDB JSON (the stream image format), so the file
// stays readable with ordinary tools.
func encodeItem(it store.Item) ([]byte, error) {
	return json.Marshal(store.ToStream(it))
}

func decodeItem(raw []byte) (store.Item, error) {
	var img map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(raw, &img); err != nil {
		return nil, fmt.Errorf("decode item: %w", err)
	}
	return store.FromStream(img)
}
