package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestFailureOf(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("append: %w", &pgconn.PgError{Code: code}) }
	cases := []struct {
		name             string
		err              error
		committing, lost bool
		want             failure
	}{
		{"deadlock", pg("40P01"), false, false, failRetry},
		{"serialization failure", pg("40001"), true, false, failRetry},
		{"admin shutdown, even on the commit", pg("57P01"), true, true, failRetry},
		{"connection exception class", pg("08006"), false, true, failRetry},
		{"unique violation is the domain's", pg("23505"), false, false, failPermanent},
		{"bad data is the request's", pg("22021"), false, false, failPermanent},
		{"no connection at all", &pgconn.ConnectError{}, false, false, failRetry},
		{"lost before the commit was sent", io.ErrUnexpectedEOF, false, true, failRetry},
		{"lost after the commit was sent", io.ErrUnexpectedEOF, true, true, failUnknown},
		{"an error of the work itself", errors.New("invalid"), false, false, failPermanent},
		{"the caller gave up", context.Canceled, true, true, failPermanent},
	}
	for _, c := range cases {
		if got := failureOf(c.err, c.committing, c.lost); got != c.want {
			t.Errorf("%s: failureOf = %d, want %d", c.name, got, c.want)
		}
	}
}
