package node

import (
	"context"
	"fmt"
	"log/slog"
)

// maxLogValue caps string values in sipgo's log lines. sipgo logs the whole
// datagram when it cannot parse one, at error level; without a cap anyone
// who can reach the port could write 64 KiB lines into our logs, and a
// message's Authorization header would land there in full.
const maxLogValue = 256

// capped wraps the handler sipgo logs through and shortens its long string
// values. The node's own log lines do not need it: they log fields, never
// whole messages.
type capped struct{ next slog.Handler }

func (h capped) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h capped) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(capAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h capped) WithAttrs(attrs []slog.Attr) slog.Handler {
	for i, a := range attrs {
		attrs[i] = capAttr(a)
	}
	return capped{h.next.WithAttrs(attrs)}
}

func (h capped) WithGroup(name string) slog.Handler { return capped{h.next.WithGroup(name)} }

func capAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() != slog.KindString || len(v.String()) <= maxLogValue {
		return a
	}
	s := v.String()
	return slog.String(a.Key, fmt.Sprintf("%q… (%d bytes)", s[:maxLogValue], len(s)))
}
