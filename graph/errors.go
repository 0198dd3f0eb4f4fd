package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/graph/scalar"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// The contract's error codes (contract §4, Errors): every error the API sends carries
// exactly one of them in extensions.code.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeRateLimited     = "RATE_LIMITED"
	CodeSlowConsumer    = "SLOW_CONSUMER"
	// CodePersistedQueryNotFound: the request named a persisted query by
	// its hash and the server does not know it; an APQ client then sends
	// the hash with the query (contract §9, Persisted operations).
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	CodeInternal               = "INTERNAL_SERVER_ERROR"
)

// internalMessage is all a client learns of an unexpected failure; the
// error itself goes to the log with the request's correlation id.
const internalMessage = "internal error"

// panicError is what the recover func hands the presenter: the panic is
// already logged, with its stack, so the presenter does not log it again.
type panicError struct{ value any }

func (p panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// presenter maps every error to the contract's codes, once, by the
// sentinels of the layers below (errors.Is/As, never by message).
//
// Errors that gqlgen and gqlparser produce themselves (a body that is not
// JSON, a parse or validation failure, a variable of the wrong type, the
// depth and complexity limits) carry no wrapped Go error: they are the
// client's request at fault, so BAD_USER_INPUT, with gqlgen's own code kept
// in extensions.reason for the curious.
func presenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		src, ok := errors.AsType[*gqlerror.Error](err)
		if !ok {
			src = gqlerror.WrapPath(graphql.GetPath(ctx), err)
		}
		out := &gqlerror.Error{
			Message:   src.Message,
			Path:      src.Path,
			Locations: src.Locations,
			Rule:      src.Rule,
		}
		cause := src.Err
		code, field := classify(cause, src)
		switch code {
		case CodeInternal:
			out.Message = internalMessage
			if msg, ok := retryableMessage(cause); ok {
				out.Message = msg
			}
			var p panicError
			switch {
			case errors.As(cause, &p):
			case clientGone(ctx, cause):
				// The client hung up (a closed tab, a navigation): nothing
				// failed on our side, and nobody reads the answer.
				log.DebugContext(ctx, "graphql: request canceled by the client",
					"error", cause, "path", src.Path.String(),
					"correlation_id", reqctx.CorrelationID(ctx), "trace_id", tracing.TraceID(ctx),
					"operation", operationName(ctx))
			default:
				log.ErrorContext(ctx, "graphql: internal error",
					"error", cause, "path", src.Path.String(),
					"correlation_id", reqctx.CorrelationID(ctx), "trace_id", tracing.TraceID(ctx),
					"operation", operationName(ctx))
			}
		case CodeNotFound:
			out.Message = "not found"
		case CodeBadUserInput:
			if cause == nil {
				out.Message = protocolMessage(src.Message)
			}
		}
		out.Extensions = map[string]any{"code": code}
		if _, ok := retryableMessage(cause); ok {
			out.Extensions["retryable"] = true
		}
		if field != "" {
			out.Extensions["field"] = field
		}
		if cause == nil {
			if reason, ok := src.Extensions["code"].(string); ok && reason != "" && reason != code {
				out.Extensions["reason"] = reason
			}
			if wait, ok := src.Extensions["retryAfterMs"]; ok && code == CodeRateLimited {
				out.Extensions["retryAfterMs"] = wait
			}
		}
		return out
	}
}

// classify returns the contract code of an error and the input field it is
// about, if any. cause is the Go error a resolver (or a scalar) returned,
// nil for gqlgen's own protocol errors.
func classify(cause error, src *gqlerror.Error) (code, field string) {
	if cause == nil {
		if c, ok := src.Extensions["code"].(string); ok && isContractCode(c) {
			// Ours, made before execution (the authentication check).
			return c, ""
		}
		return CodeBadUserInput, lastField(src.Path)
	}
	var (
		inputErr  *app.InputError
		scalarErr *scalar.Error
	)
	switch {
	case errors.As(cause, &inputErr):
		return CodeBadUserInput, inputErr.Field
	case errors.As(cause, &scalarErr):
		return CodeBadUserInput, lastField(src.Path)
	case errors.Is(cause, app.ErrIdempotencyKeyReused):
		// Documented on CreatePulseInput.idempotencyKey: the key, not the
		// state of the pulse, is what the client has to change.
		return CodeBadUserInput, "idempotencyKey"
	case errors.Is(cause, app.ErrUnauthenticated), errors.Is(cause, auth.ErrUnauthenticated):
		return CodeUnauthenticated, ""
	case errors.Is(cause, app.ErrForbidden):
		return CodeForbidden, ""
	case errors.Is(cause, app.ErrNotFound):
		return CodeNotFound, ""
	case errors.Is(cause, app.ErrConflict):
		return CodeConflict, ""
	}
	return CodeInternal, ""
}

// retryableMessage tells the client of a store failure that is not its
// request's fault what it may do; the cause itself stays in the log.
func retryableMessage(cause error) (string, bool) {
	switch {
	case cause == nil:
		return "", false
	case errors.Is(cause, app.ErrOutcomeUnknown):
		return "the database connection was lost while committing: the write may or may not have been applied; " +
			"retry with an idempotencyKey to apply it exactly once", true
	case errors.Is(cause, app.ErrUnavailable):
		return "the database is unavailable right now; nothing was written, retry the request", true
	}
	return "", false
}

func isContractCode(c string) bool {
	switch c {
	case CodeUnauthenticated, CodeForbidden, CodeBadUserInput, CodeNotFound, CodePersistedQueryNotFound,
		CodeConflict, CodeRateLimited, CodeSlowConsumer, CodeInternal:
		return true
	}
	return false
}

// lastField is the name of the innermost named element of an error's path:
// the input field of a scalar or variable error ("title" in
// ["variable", "input", "title"]).
func lastField(p ast.Path) string {
	for i := len(p) - 1; i >= 0; i-- {
		if name, ok := p[i].(ast.PathName); ok {
			return string(name)
		}
	}
	return ""
}

// protocolMessage shortens gqlgen's message for a body that is not JSON,
// which quotes the whole body back.
func protocolMessage(msg string) string {
	if strings.HasPrefix(msg, "json request body could not be decoded") {
		return "the request body is not a valid GraphQL-over-HTTP JSON object"
	}
	return msg
}

// recoverFunc turns a panic in a resolver into INTERNAL_SERVER_ERROR,
// logging it with its stack; the client sees only "internal error".
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "graphql: panic",
			"panic", fmt.Sprint(v), "stack", string(debug.Stack()),
			"correlation_id", reqctx.CorrelationID(ctx), "operation", operationName(ctx))
		return panicError{value: v}
	}
}

func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	return graphql.GetOperationContext(ctx).OperationName
}

// clientGone reports whether err is the request's own context ending
// because its client went away, rather than a failure of ours.
func clientGone(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled)
}
