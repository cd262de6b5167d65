// Command load plays the newcomer's journey of the directory API against a
// local stack N times with a few concurrent workers and prints each call's
// latency figures (count, errors, p50, p90, p99, max) and the throughput.
// It measures; it asserts nothing.
//
// The journey: sign up, log in, create a user with a phone, an external
// phone, an extension and a test number in one request, read the phone's
// SIP credentials, create a group with members, route a number to the
// group, read the OpenAPI document. Operations the stack does not serve
// yet (404, 405, 501) are reported as not available.
//
//	go run ./tests/load                 # builds and starts its own stack
//	go run ./tests/load -n 500 -workers 8
//	go run ./tests/load -url http://127.0.0.1:8080
//
// Its own stack runs on free loopback ports with a temporary data folder
// and sign-up and login limits raised for the run. A running stack keeps
// its limits (20 sign-ups per client address and hour by default);
// -sources spreads the journeys over that many loopback addresses.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

func main() {
	var (
		url     = flag.String("url", "", "API of a running stack (http://127.0.0.1:8080); empty: build and start one")
		n       = flag.Int("n", 200, "journeys")
		workers = flag.Int("workers", 4, "concurrent workers")
		sources = flag.Int("sources", 1, "loopback source addresses to spread the journeys over (127.0.0.2 …)")
		timeout = flag.Duration("timeout", 10*time.Minute, "stop after this long even if journeys remain")
	)
	flag.Parse()
	if *n < 1 || *workers < 1 || *sources < 1 || *sources > 250 {
		fmt.Fprintln(os.Stderr, "load: -n, -workers and -sources must be positive (sources at most 250)")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, *timeout)
	defer cancelTimeout()
	if err := run(ctx, *url, *n, *workers, *sources); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, n, workers, sources int) error {
	if url == "" {
		s, err := startStack(ctx, n+10)
		if err != nil {
			return err
		}
		defer s.stop()
		url = s.url
	}
	base := apiclient.New(url)
	clients := []*apiclient.Client{base}
	if sources > 1 {
		clients = clients[:0]
		for i := 0; i < sources; i++ {
			clients = append(clients, base.WithSource(fmt.Sprintf("127.0.0.%d", i+2)))
		}
	}
	fmt.Printf("load: %d journeys, %d workers, %d source address(es), against %s\n", n, workers, len(clients), url)

	st := newStats()
	jobs := make(chan int)
	var wg sync.WaitGroup
	started := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				j := journey{c: clients[i%len(clients)], st: st, id: fmt.Sprintf("%d-%d", started.Unix(), i)}
				j.run(ctx)
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(started)
	st.print(os.Stdout, elapsed)
	if ctx.Err() != nil {
		fmt.Println("load: stopped early:", context.Cause(ctx))
	}
	return nil
}
