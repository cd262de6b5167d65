package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"text/tabwriter"
	"time"
)

// Outcomes of a call.
const (
	outcomeOK      = iota
	outcomeError   // a network error or an unexpected status
	outcomeMissing // the stack does not serve the operation (404, 405, 501)
)

// stats collects the latencies and outcomes of every call by step.
type stats struct {
	mu    sync.Mutex
	steps map[string]*step
}

type step struct {
	latencies []time.Duration // of successful calls
	calls     int
	errors    int
	missing   int
	examples  map[string]int // error message -> count
}

func newStats() *stats { return &stats{steps: map[string]*step{}} }

func (s *stats) get(name string) *step {
	st := s.steps[name]
	if st == nil {
		st = &step{examples: map[string]int{}}
		s.steps[name] = st
	}
	return st
}

func (s *stats) record(name string, took time.Duration, outcome int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(name)
	st.calls++
	switch outcome {
	case outcomeOK:
		st.latencies = append(st.latencies, took)
	case outcomeError:
		st.errors++
		if len(st.examples) < 5 || st.examples[msg] > 0 {
			st.examples[msg]++
		}
	case outcomeMissing:
		st.missing++
	}
}

// note counts a successful call whose answer the journey could not use.
func (s *stats) note(name, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(name)
	st.errors++
	st.examples[msg]++
}

// percentile is the nearest-rank percentile of sorted durations, in ms.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return ms(sorted[rank])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// print writes the table: one line per step, then the totals.
func (s *stats) print(w io.Writer, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\terrors\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	total, errs, missing := 0, 0, 0
	var all []time.Duration
	for _, name := range steps {
		st := s.steps[name]
		if st == nil {
			fmt.Fprintf(tw, "%s\t0\t-\t-\t-\t-\t-\t\n", name)
			continue
		}
		total += st.calls
		errs += st.errors
		missing += st.missing
		if st.missing > 0 && len(st.latencies) == 0 && st.errors == 0 {
			fmt.Fprintf(tw, "%s\t%d\tnot available\t\t\t\t\t\n", name, st.calls)
			continue
		}
		sort.Slice(st.latencies, func(i, j int) bool { return st.latencies[i] < st.latencies[j] })
		all = append(all, st.latencies...)
		l := st.latencies
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, st.calls, st.errors+st.missing,
			percentile(l, 50), percentile(l, 90), percentile(l, 99), percentile(l, 100))
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	fmt.Fprintf(tw, "all\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", total, errs+missing,
		percentile(all, 50), percentile(all, 90), percentile(all, 99), percentile(all, 100))
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%d requests in %.2f s: %.1f req/s; %d errors, %d not available\n",
		total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), errs, missing)
	for _, name := range steps {
		st := s.steps[name]
		if st == nil {
			continue
		}
		if st.missing > 0 {
			fmt.Fprintf(w, "  %s: not available (%d answers 404/405/501)\n", name, st.missing)
		}
		for msg, n := range st.examples {
			fmt.Fprintf(w, "  %s: %d× %s\n", name, n, msg)
		}
	}
}
