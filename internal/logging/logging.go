// Package logging builds the service's slog logger from
// EDUPULSE_LOG_LEVEL and EDUPULSE_LOG_FORMAT, and guarantees that a key
// appears once per line: a component that adds "component" to a logger
// that already carries one replaces it instead of repeating it, which
// JSON consumers (Loki, jq, Elasticsearch) would otherwise read as either
// value.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// Formats.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// ParseLevel reads debug, info, warn or error (any case).
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// ParseFormat reads json or text (any case).
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "":
		return FormatJSON, nil
	case FormatJSON, FormatText:
		return f, nil
	}
	return "", fmt.Errorf("%q is not json or text", s)
}

// New returns a logger writing lines of format at level and above to w.
func New(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == FormatText {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(UniqueKeys(h))
}

// UniqueKeys wraps h so that the attributes added with With replace
// earlier ones of the same key, and a record's own attributes replace
// those. Attributes inside a group are left as they are.
func UniqueKeys(h slog.Handler) slog.Handler { return &unique{inner: h} }

type unique struct {
	inner slog.Handler
	// attrs are the With attributes not yet handed to inner: they are
	// kept here so that a later one of the same key can replace them.
	attrs []slog.Attr
}

func (u *unique) Enabled(ctx context.Context, l slog.Level) bool { return u.inner.Enabled(ctx, l) }

func (u *unique) WithAttrs(as []slog.Attr) slog.Handler {
	return &unique{inner: u.inner, attrs: merge(slices.Clone(u.attrs), as)}
}

func (u *unique) WithGroup(name string) slog.Handler {
	if name == "" {
		return u
	}
	// Keys inside the group cannot collide with those outside it: hand
	// what is kept to inner and open the group there.
	return &unique{inner: u.inner.WithAttrs(u.attrs).WithGroup(name)}
}

func (u *unique) Handle(ctx context.Context, r slog.Record) error {
	if len(u.attrs) == 0 && r.NumAttrs() < 2 {
		return u.inner.Handle(ctx, r)
	}
	own := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		own = append(own, a)
		return true
	})
	all := merge(slices.Clone(u.attrs), own)
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(all...)
	return u.inner.Handle(ctx, out)
}

// merge appends add to dst, each replacing an attribute of the same key
// in place (so the first position, and the line's order, are kept).
func merge(dst, add []slog.Attr) []slog.Attr {
	for _, a := range add {
		if a.Key == "" {
			dst = append(dst, a)
			continue
		}
		i := slices.IndexFunc(dst, func(b slog.Attr) bool { return b.Key == a.Key })
		if i >= 0 {
			dst[i] = a
		} else {
			dst = append(dst, a)
		}
	}
	return dst
}
