//go:build !(linux && (amd64 || arm64))

package main

import (
	"sync"
	"time"
)

// receiveAll reads every phone's socket with a goroutine of its own until
// the returned stop is called.
func receiveAll(phones []*phone, epoch time.Time, warmup time.Duration, lat *histogram) (stop func(), err error) {
	var wg sync.WaitGroup
	for _, p := range phones {
		wg.Go(func() {
			buf := make([]byte, 2048)
			for {
				n, _, err := p.conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				p.record(buf[:n], time.Since(epoch), warmup, lat)
			}
		})
	}
	return func() {
		for _, p := range phones {
			_ = p.conn.Close()
		}
		wg.Wait()
	}, nil
}
