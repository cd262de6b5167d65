package events

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLocalFansOut(t *testing.T) {
	l := NewLocal()
	a, b := l.Subscribe(4), l.Subscribe(4)
	ctx := context.Background()
	for _, typ := range []Type{NewCall, Answer, Hangup} {
		if err := l.Publish(ctx, Event{ID: string(typ), Type: typ, Call: &Call{ID: "c1"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []<-chan Event{a, b} {
		for _, want := range []Type{NewCall, Answer, Hangup} {
			if got := <-ch; got.Type != want {
				t.Fatalf("got %s, want %s", got.Type, want)
			}
		}
	}
	l.Close()
	if _, open := <-a; open {
		t.Fatal("subscription open after Close")
	}
	if err := l.Publish(ctx, Event{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
}

func TestLocalBackpressure(t *testing.T) {
	l := NewLocal()
	_ = l.Subscribe(1)
	if err := l.Publish(context.Background(), Event{ID: "1"}); err != nil {
		t.Fatal(err)
	}
	// The buffer is full: Publish waits until its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Publish(ctx, Event{ID: "2"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish to a full subscriber: %v", err)
	}
}
