package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/graph/scalar"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
	"github.com/edupulse/edupulse-live/internal/store"
)

// TestPresenter maps each error the layers below produce to its code, once.
func TestPresenter(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	present := presenter(slog.New(slog.NewTextHandler(&logs, nil)))
	corr := uuid.New()
	ctx := reqctx.WithCorrelationID(context.Background(), corr)
	path := ast.Path{ast.PathName("createPulse"), ast.PathName("input"), ast.PathName("dueDate")}

	for _, c := range []struct {
		name         string
		err          error
		code, field  string
		message      string
		reasonAbsent bool
	}{
		{"input error", &app.InputError{Field: "title", Message: "too long"}, CodeBadUserInput, "title", "title: too long", true},
		{"wrapped input error", fmt.Errorf("x: %w", &app.InputError{Field: "after", Message: "malformed cursor"}), CodeBadUserInput, "after", "", true},
		{"scalar error", &scalar.Error{Scalar: "DateTime", Message: "bad"}, CodeBadUserInput, "dueDate", "invalid DateTime: bad", true},
		{"key reused", fmt.Errorf("write: %w", store.ErrIdempotencyKeyReused), CodeBadUserInput, "idempotencyKey", "", true},
		{"unauthenticated", app.ErrUnauthenticated, CodeUnauthenticated, "", "", true},
		{"bad token", fmt.Errorf("%w: token has expired", auth.ErrUnauthenticated), CodeUnauthenticated, "", "", true},
		{"forbidden", fmt.Errorf("%w: only students", app.ErrForbidden), CodeForbidden, "", "not allowed: only students", true},
		{"not found", fmt.Errorf("%w: responses_pulse_id_fkey", store.ErrNotFound), CodeNotFound, "", "not found", true},
		{"closed", app.ErrPulseClosed, CodeConflict, "", "conflict: the pulse is closed", true},
		{"conflict", store.ErrConflict, CodeConflict, "", "", true},
		{"internal", errors.New(`ERROR: relation "pulses" does not exist (SQLSTATE 42P01)`), CodeInternal, "", "internal error", true},
		{"panic", panicError{value: "boom"}, CodeInternal, "", "internal error", true},
		{"store unavailable", fmt.Errorf("%w after 10 attempts: deadlock detected (SQLSTATE 40P01)", store.ErrUnavailable), CodeInternal, "",
			"the database is unavailable right now; nothing was written, retry the request", true},
		{"commit outcome unknown", fmt.Errorf("%w: unexpected EOF", store.ErrOutcomeUnknown), CodeInternal, "",
			"the database connection was lost while committing: the write may or may not have been applied; retry with an idempotencyKey to apply it exactly once", true},
	} {
		got := present(ctx, &gqlerror.Error{Message: c.err.Error(), Err: c.err, Path: path})
		require.Equal(t, c.code, got.Extensions["code"], c.name)
		transient := errors.Is(c.err, store.ErrUnavailable) || errors.Is(c.err, store.ErrOutcomeUnknown)
		require.Equal(t, transient, got.Extensions["retryable"] == true, c.name)
		if c.field == "" {
			require.NotContains(t, got.Extensions, "field", c.name)
		} else {
			require.Equal(t, c.field, got.Extensions["field"], c.name)
		}
		if c.message != "" {
			require.Equal(t, c.message, got.Message, c.name)
		}
		require.NotContains(t, got.Extensions, "reason", c.name)
		require.Equal(t, path, got.Path, c.name)
	}
	require.Contains(t, logs.String(), "SQLSTATE 42P01", "the cause is logged")
	require.Contains(t, logs.String(), corr.String(), "with the correlation id")
	require.NotContains(t, logs.String(), "boom", "a panic is logged by the recover func, not twice")

	// gqlgen's own errors (no Go cause) are the request's fault.
	validation := gqlerror.ErrorPathf(ast.Path{ast.PathName("variable"), ast.PathName("in"), ast.PathName("title")}, "must be defined")
	validation.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
	got := present(ctx, validation)
	require.Equal(t, CodeBadUserInput, got.Extensions["code"])
	require.Equal(t, "title", got.Extensions["field"])
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", got.Extensions["reason"])
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", validation.Extensions["code"], "the original error is not modified")

	got = present(ctx, gqlerror.Errorf("json request body could not be decoded: unexpected EOF body:{\"query\": "))
	require.Equal(t, CodeBadUserInput, got.Extensions["code"])
	require.NotContains(t, got.Message, "query", "the body is not echoed")

	// A plain error (not wrapped by gqlgen) is still classified.
	got = present(ctx, app.ErrForbidden)
	require.Equal(t, CodeForbidden, got.Extensions["code"])
}

func TestRecoverFunc(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	corr := uuid.New()
	ctx := reqctx.WithCorrelationID(context.Background(), corr)

	err := recoverFunc(log)(ctx, "secret panic value")
	got := presenter(log)(ctx, err)
	require.Equal(t, CodeInternal, got.Extensions["code"])
	require.Equal(t, "internal error", got.Message)
	require.Contains(t, logs.String(), "secret panic value")
	require.Contains(t, logs.String(), "errors_internal_test.go", "logged with the stack")
	require.Contains(t, logs.String(), corr.String())
}

func TestOperationDepth(t *testing.T) {
	t.Parallel()
	leaf := func(name string) *ast.Field { return &ast.Field{Name: name} }
	field := func(name string, sel ...ast.Selection) *ast.Field { return &ast.Field{Name: name, SelectionSet: sel} }
	frag := &ast.FragmentDefinition{Name: "F", SelectionSet: ast.SelectionSet{field("a", field("b", leaf("c")))}}
	set := ast.SelectionSet{
		leaf("x"),
		field("y", &ast.FragmentSpread{Name: "F", Definition: frag}),               // y.a.b.c = 4
		field("z", &ast.InlineFragment{SelectionSet: ast.SelectionSet{leaf("w")}}), // 2
		field("__schema", field("types", field("fields", field("type", leaf("name"))))),
	}
	require.Equal(t, 4, operationDepth(set, map[string]int{}, map[string]bool{}))

	// A cycle (refused by validation before) does not recurse forever.
	cyclic := &ast.FragmentDefinition{Name: "C"}
	cyclic.SelectionSet = ast.SelectionSet{field("n", &ast.FragmentSpread{Name: "C", Definition: cyclic})}
	require.Equal(t, 1, operationDepth(ast.SelectionSet{&ast.FragmentSpread{Name: "C", Definition: cyclic}}, map[string]int{}, map[string]bool{}))
}

// A client that hangs up mid-request is no failure of ours: logged at
// debug, never as an ERROR "internal error"; the same error with the
// request still alive is one.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	presenter(log)(ctx, fmt.Errorf("list pulses: %w", context.Canceled))
	require.Contains(t, logs.String(), `"level":"DEBUG"`)
	require.Contains(t, logs.String(), "canceled by the client")
	require.NotContains(t, logs.String(), `"level":"ERROR"`)

	logs.Reset()
	presenter(log)(context.Background(), fmt.Errorf("list pulses: %w", context.Canceled))
	require.Contains(t, logs.String(), `"level":"ERROR"`)
}
