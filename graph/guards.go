package graph

import (
	"context"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
)

// The guards refuse an operation before it runs, in this order: no query at
// all, a mutation over GET, no authenticated caller. Each tells the HTTP
// front why (refuse), for the status code.

// requireQuery refuses a request that has no query at all (a misspelt
// parameter, an empty body): invalid parameters, 400, before parsing.
type requireQuery struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = requireQuery{}

func (requireQuery) ExtensionName() string                   { return "RequireQuery" }
func (requireQuery) Validate(graphql.ExecutableSchema) error { return nil }
func (requireQuery) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if strings.TrimSpace(p.Query) != "" {
		return nil
	}
	refuse(ctx, reasonNoQuery)
	return &gqlerror.Error{
		Message:    "the request has no query",
		Extensions: map[string]any{"code": reasonNoQuery},
	}
}

// queriesOnlyOverGET refuses a mutation (or subscription) sent with GET
// before it runs: GET must be safe.
type queriesOnlyOverGET struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queriesOnlyOverGET{}

func (queriesOnlyOverGET) ExtensionName() string                   { return "QueriesOnlyOverGET" }
func (queriesOnlyOverGET) Validate(graphql.ExecutableSchema) error { return nil }
func (queriesOnlyOverGET) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	x := exchangeFrom(ctx)
	if x == nil || x.method != http.MethodGet || op.Operation.Operation == ast.Query {
		return nil
	}
	refuse(ctx, reasonMethod)
	return &gqlerror.Error{
		Message:    "a " + string(op.Operation.Operation) + " must be sent with POST",
		Extensions: map[string]any{"code": reasonMethod},
	}
}

// requireActor refuses, before anything runs, an operation that selects
// anything but introspection (__schema, __type, __typename) without an
// authenticated caller. The HTTP layer has verified the token, if any, and
// put the actor in the context; a missing or invalid token leaves none.
type requireActor struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = requireActor{}

func (requireActor) ExtensionName() string                   { return "RequireActor" }
func (requireActor) Validate(graphql.ExecutableSchema) error { return nil }
func (requireActor) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if _, ok := auth.ActorFrom(ctx); ok {
		return nil
	}
	if onlyIntrospection(op.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	refuse(ctx, CodeUnauthenticated)
	return &gqlerror.Error{
		Message:    app.ErrUnauthenticated.Error(),
		Err:        app.ErrUnauthenticated,
		Extensions: map[string]any{"code": CodeUnauthenticated},
	}
}

// onlyIntrospection reports whether a root selection set selects nothing
// but introspection fields, looking through fragments.
func onlyIntrospection(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "__schema" && s.Name != "__type" && s.Name != "__typename" {
				return false
			}
		case *ast.InlineFragment:
			if !onlyIntrospection(s.SelectionSet, seen) {
				return false
			}
		case *ast.FragmentSpread:
			if seen[s.Name] || s.Definition == nil {
				continue
			}
			seen[s.Name] = true
			if !onlyIntrospection(s.Definition.SelectionSet, seen) {
				return false
			}
		}
	}
	return true
}
