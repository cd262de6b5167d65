// Command local runs the whole of Switchboard as one process on this
// machine: the HTTP API, the SIP and STUN listeners of the media fleet, and
// an embedded database file, with no cloud account. `go run ./infra/local`
// starts it with defaults that work on a fresh machine; -h lists the
// settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard/switchboard/shared/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "switchboard: %s\n", oneLine(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv config.Getenv, stderr io.Writer) error {
	cfg, err := Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger, err := config.Logger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	// Code without a logger of its own (the API's last-resort error
	// logging) logs through the default logger.
	slog.SetDefault(logger)
	logger.Info("switchboard starting", cfg.LogAttrs()...)
	s, err := Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	err = s.Run(ctx)
	logger.Info("switchboard stopped")
	return err
}

// oneLine keeps an error message to one line, for a clear exit message.
func oneLine(err error) string {
	msg := []rune(err.Error())
	for i, r := range msg {
		if r == '\n' {
			msg[i] = ';'
		}
	}
	return string(msg)
}
