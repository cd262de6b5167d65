//go:build linux && (amd64 || arm64)

package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// receiveAll reads every phone's socket until the returned stop is called.
// It waits for packets the way the relay's Linux engine does (a few
// workers, each draining a level-triggered epoll set with one recvfrom per
// event), so that the phones' own cost leaves room for the relay on a
// machine shared with it.
func receiveAll(phones []*phone, epoch time.Time, warmup time.Duration, lat *histogram) (stop func(), err error) {
	var files []*os.File
	var wg sync.WaitGroup
	stop = func() {
		for _, f := range files {
			_ = f.Close()
		}
		wg.Wait()
	}
	fds := make([]int, len(phones))
	for i, p := range phones {
		rc, err := p.conn.SyscallConn()
		if err != nil {
			return nil, err
		}
		_ = rc.Control(func(fd uintptr) { fds[i] = int(fd) })
	}
	workers := runtime.GOMAXPROCS(0)
	for k := range workers {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			stop()
			return nil, fmt.Errorf("epoll: %w", err)
		}
		_ = syscall.SetNonblock(epfd, true)
		f := os.NewFile(uintptr(epfd), "phones-epoll")
		files = append(files, f)
		for i := k; i < len(phones); i += workers {
			ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
			if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fds[i], &ev); err != nil {
				stop()
				return nil, fmt.Errorf("epoll: %w", err)
			}
		}
		rc, err := f.SyscallConn()
		if err != nil {
			stop()
			return nil, err
		}
		wg.Go(func() { _ = rc.Read(drainer(epfd, phones, fds, epoch, warmup, lat)) })
	}
	return stop, nil
}

func drainer(epfd int, phones []*phone, fds []int, epoch time.Time, warmup time.Duration, lat *histogram) func(uintptr) bool {
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 2048)
	return func(uintptr) bool {
		for {
			n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
			if e != 0 || n == 0 {
				return false
			}
			for _, ev := range events[:n] {
				m, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fds[ev.Fd]), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
					syscall.MSG_DONTWAIT, 0, 0)
				if e == 0 {
					phones[ev.Fd].record(buf[:m], time.Since(epoch), warmup, lat)
				}
			}
		}
	}
}
