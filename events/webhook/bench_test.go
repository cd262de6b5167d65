package webhook

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/shared/account"
)

// BenchmarkNewCall measures the deliverer's share of the time from the
// fleet seeing a call to the consumer receiving newCall: reading the
// settings and the directory from the embedded table, building and
// signing the body, and posting it on loopback. It reports the p50 and
// p99 of the time until the consumer's handler runs.
func BenchmarkNewCall(b *testing.B) {
	e := newEnv(b, Config{})
	arrived := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { arrived <- time.Now() }))
	defer srv.Close()
	e.settings(account.WebhookSettings{Incoming: &account.Hook{URL: srv.URL}})
	ev := e.event("e", events.NewCall, "+492111234567")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := e.d.NewCall(e.ctx, ev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-arrived).Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
