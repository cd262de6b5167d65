package main

import (
	"sync/atomic"
	"time"
)

// histogram counts latencies in 1 µs buckets up to 20 ms, and everything
// longer in the last bucket. Receivers of all phones add to it at once,
// with atomics.
type histogram struct {
	buckets [20001]atomic.Uint64
	longest atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	i := int(d / time.Microsecond)
	i = min(max(i, 0), len(h.buckets)-1)
	h.buckets[i].Add(1)
	for {
		cur := h.longest.Load()
		if int64(d) <= cur || h.longest.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// quantile is the upper edge of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.buckets {
		total += h.buckets[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i := range h.buckets {
		if seen += h.buckets[i].Load(); seen >= rank {
			return time.Duration(i+1) * time.Microsecond
		}
	}
	return time.Duration(len(h.buckets)) * time.Microsecond
}

func (h *histogram) max() time.Duration { return time.Duration(h.longest.Load()) }
