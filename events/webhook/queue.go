package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/store"
)

// Queue is the durable queue of the local stack: one item per queued
// event in a partition of its own, sorted by when it is due. A worker
// claims a due item by moving it, in one conditional write, to a time a
// lease later, so an item whose worker died is claimed again when the
// lease ends (as an SQS message becomes visible again); it is removed
// once delivered, moved to its next due time after a failure, and to the
// dead-letter partition when retried for Retry.MaxAge.
type Queue struct {
	st    store.Store
	now   func() time.Time
	lease time.Duration
	wake  chan struct{}
}

// Partitions of the queue and its dead letters.
const (
	queuePK       = "WEBHOOKQ"
	deadPK        = "WEBHOOKQ#DEAD"
	typeJob       = "webhookjob"
	deadRetention = 14 * 24 * time.Hour
	timeKey       = "20060102T150405.000000000Z"
)

// NewQueue returns the queue on st. now is its clock (nil: time.Now);
// lease must exceed the longest delivery (0: a minute).
func NewQueue(st store.Store, now func() time.Time, lease time.Duration) *Queue {
	if now == nil {
		now = time.Now
	}
	if lease <= 0 {
		lease = time.Minute
	}
	return &Queue{st: st, now: now, lease: lease, wake: make(chan struct{}, 1)}
}

// Job is a queued event.
type Job struct {
	Event     events.Event
	Attempts  int       // made so far, including a claimed one
	First     time.Time // when it was queued
	LastError string
	key       store.Key
	version   int64
}

type jobItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	Event     string `dynamodbav:"event"` // events.Event as JSON, as on SQS
	Attempts  int    `dynamodbav:"attempts"`
	First     int64  `dynamodbav:"first"` // Unix nanoseconds
	LastError string `dynamodbav:"lastError,omitempty"`
	TTL       int64  `dynamodbav:"ttl,omitempty"`
}

func jobKey(pk string, due time.Time, eventID string) store.Key {
	return store.Key{PK: pk, SK: due.UTC().Format(timeKey) + "#" + eventID}
}

func (q *Queue) put(j Job, pk string, due time.Time, ttl int64) (store.Op, store.Key, error) {
	raw, err := json.Marshal(j.Event)
	if err != nil {
		return store.Op{}, store.Key{}, fmt.Errorf("encode event %s: %w", j.Event.ID, err)
	}
	k := jobKey(pk, due, j.Event.ID)
	item, err := store.Marshal(jobItem{PK: k.PK, SK: k.SK, Type: typeJob, Event: string(raw), Attempts: j.Attempts,
		First: j.First.UnixNano(), LastError: j.LastError, TTL: ttl})
	if err != nil {
		return store.Op{}, store.Key{}, err
	}
	return store.Put(item).If(store.NotExists()), k, nil
}

// Enqueue queues an event, due now.
func (q *Queue) Enqueue(ctx context.Context, ev events.Event) error {
	now := q.now()
	op, _, err := q.put(Job{Event: ev, First: now}, queuePK, now, 0)
	if err != nil {
		return err
	}
	if err := q.st.Write(ctx, op); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("queue event %s: %w", ev.ID, err)
	}
	q.Wake()
	return nil
}

// Wake tells a waiting worker that something was queued.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Claim takes up to limit due jobs, each leased to the caller.
func (q *Queue) Claim(ctx context.Context, limit int) ([]Job, error) {
	now := q.now()
	page, err := q.st.Query(ctx, store.Query{PK: queuePK, To: now.UTC().Format(timeKey) + "#~", Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("read the webhook queue: %w", err)
	}
	var out []Job
	for _, it := range page.Items {
		var ji jobItem
		if err := store.Unmarshal(it, &ji); err != nil {
			return nil, err
		}
		j := Job{Attempts: ji.Attempts + 1, First: time.Unix(0, ji.First), LastError: ji.LastError}
		if err := json.Unmarshal([]byte(ji.Event), &j.Event); err != nil {
			return nil, fmt.Errorf("decode queued event %s: %w", ji.SK, err)
		}
		put, k, err := q.put(j, queuePK, now.Add(q.lease), 0)
		if err != nil {
			return nil, err
		}
		err = q.st.Write(ctx, store.Delete(store.Key{PK: ji.PK, SK: ji.SK}).If(store.VersionEquals(store.Version(it))), put)
		if errors.Is(err, store.ErrConflict) {
			continue // another worker claimed it
		}
		if err != nil {
			return nil, fmt.Errorf("claim queued event %s: %w", j.Event.ID, err)
		}
		j.key, j.version = k, 1
		out = append(out, j)
	}
	return out, nil
}

// release removes a claimed job, putting op in its place when there is
// one. A lease that ran out and was claimed again is left to its new
// holder.
func (q *Queue) release(ctx context.Context, j Job, op *store.Op) error {
	ops := []store.Op{store.Delete(j.key).If(store.VersionEquals(j.version))}
	if op != nil {
		ops = append(ops, *op)
	}
	if err := q.st.Write(ctx, ops...); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("release queued event %s: %w", j.Event.ID, err)
	}
	return nil
}

// Done removes a delivered job.
func (q *Queue) Done(ctx context.Context, j Job) error { return q.release(ctx, j, nil) }

// Later puts a failed job back, due at due.
func (q *Queue) Later(ctx context.Context, j Job, due time.Time, lastErr string) error {
	j.LastError = lastErr
	op, _, err := q.put(j, queuePK, due, 0)
	if err != nil {
		return err
	}
	return q.release(ctx, j, &op)
}

// Dead moves a job to the dead letters, kept for two weeks.
func (q *Queue) Dead(ctx context.Context, j Job, lastErr string) error {
	j.LastError = lastErr
	now := q.now()
	op, _, err := q.put(j, deadPK, now, now.Add(deadRetention).Unix())
	if err != nil {
		return err
	}
	return q.release(ctx, j, &op)
}

// DeadLetters lists up to limit dead-lettered jobs, oldest first.
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]Job, error) {
	page, err := q.st.Query(ctx, store.Query{PK: deadPK, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(page.Items))
	for _, it := range page.Items {
		var ji jobItem
		if err := store.Unmarshal(it, &ji); err != nil {
			return nil, err
		}
		j := Job{Attempts: ji.Attempts, First: time.Unix(0, ji.First), LastError: ji.LastError}
		if err := json.Unmarshal([]byte(ji.Event), &j.Event); err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// Feed queues the events of a subscription that go through the queue
// (Queued), after noting what later events need (Observe), until the
// subscription closes or ctx ends.
func (q *Queue) Feed(ctx context.Context, sub <-chan events.Event, d *Deliverer) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub:
			if !ok {
				return nil
			}
			if err := d.Observe(ctx, ev); err != nil {
				return fmt.Errorf("observe event %s: %w", ev.ID, err)
			}
			if !Queued(ev) {
				continue
			}
			if err := q.Enqueue(ctx, ev); err != nil {
				return err
			}
		}
	}
}

// Sender delivers one queued event; *Deliverer is one.
type Sender interface {
	Deliver(ctx context.Context, ev events.Event, attempt int) error
}

// Worker delivers the queue's due jobs.
type Worker struct {
	Queue *Queue
	Send  Sender
	Retry Retry
	// Batch is how many jobs one pass claims and delivers in parallel
	// (0: 16); Poll how often an idle worker looks for jobs that became
	// due (0: a second).
	Batch int
	Poll  time.Duration
	Log   *slog.Logger
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := w.Process(ctx); err != nil && ctx.Err() == nil {
			w.logger().Warn("webhook queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-w.Queue.wake:
		}
	}
}

func (w *Worker) logger() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}

// Process makes one pass: it claims the due jobs, a batch at a time, and
// delivers each batch in parallel, so one slow consumer holds a pass no
// longer than the client's timeout. It returns how many jobs it tried.
func (w *Worker) Process(ctx context.Context) (int, error) {
	batch := w.Batch
	if batch <= 0 {
		batch = 16
	}
	tried := 0
	// Bounded: a pass ends after this many batches even if jobs keep
	// becoming due, so Run gets to check its context.
	for round := 0; round < 64; round++ {
		jobs, err := w.Queue.Claim(ctx, batch)
		if err != nil {
			return tried, err
		}
		if len(jobs) == 0 {
			return tried, nil
		}
		errs := make([]error, len(jobs))
		var wg sync.WaitGroup
		for i, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = w.settle(ctx, j, w.Send.Deliver(ctx, j.Event, j.Attempts))
			}()
		}
		wg.Wait()
		tried += len(jobs)
		if err := errors.Join(errs...); err != nil {
			return tried, err
		}
	}
	return tried, nil
}

// settle records the outcome of a job's attempt in the queue.
func (w *Worker) settle(ctx context.Context, j Job, deliverErr error) error {
	if deliverErr == nil {
		return w.Queue.Done(ctx, j)
	}
	now := w.Queue.now()
	if w.Retry.GiveUp(j.First, now) {
		w.logger().Warn("webhook event dead-lettered", "account", j.Event.Account, "event", j.Event.ID,
			"attempts", j.Attempts, "err", deliverErr)
		return w.Queue.Dead(ctx, j, deliverErr.Error())
	}
	return w.Queue.Later(ctx, j, now.Add(w.Retry.Delay(j.Attempts)), deliverErr.Error())
}
