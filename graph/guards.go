package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
)

// The guards refuse an operation before it runs, in this order: no query at
// all (here), then, on the parsed document (documentGuard), a mutation over
// GET, no authenticated caller, a document over the limits, too many
// mutations. Each tells the HTTP front why (refuse), for the status code.

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

// documentGuard refuses a request on its parsed document, before gqlgen
// validates it, in order of cost to the client's understanding: a mutation
// over GET, no authenticated caller for anything but introspection, a
// document over the limits above, too many mutations at once. gqlgen
// validates inside the step after the parameter mutators, and so before
// any OperationContextMutator: this one is a parameter mutator that
// parses the document itself. Parsing is bounded by the token limit, and
// a document refused here is never validated.
type documentGuard struct {
	tokenLimit int
	// parsed keeps the documents found within the limits, so that a
	// client repeating its operations is not parsed twice per request
	// (gqlgen caches its own, validated, parse); a document over the
	// limits is never kept, and so evicts nothing.
	parsed graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentGuard{}

func (documentGuard) ExtensionName() string                   { return "DocumentGuard" }
func (documentGuard) Validate(graphql.ExecutableSchema) error { return nil }
func (g documentGuard) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	doc, limitErr, err := g.document(ctx, p.Query)
	if err != nil {
		return err
	}
	op := doc.Operations.ForName(p.OperationName)
	for _, check := range []func() *gqlerror.Error{
		func() *gqlerror.Error { return queriesOnlyOverGET(ctx, op) },
		func() *gqlerror.Error { return requireActor(ctx, doc) },
		func() *gqlerror.Error { return limitErr },
		func() *gqlerror.Error { return fewMutations(doc, op) },
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// document parses query, or finds it among those parsed before; limitErr
// is its refusal by withinLimits, if any.
func (g documentGuard) document(ctx context.Context, query string) (doc *ast.QueryDocument, limitErr, err *gqlerror.Error) {
	if doc, ok := g.parsed.Get(ctx, query); ok {
		return doc, nil, nil
	}
	doc, parseErr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, g.tokenLimit)
	if parseErr != nil {
		var gqlErr *gqlerror.Error
		if !errors.As(parseErr, &gqlErr) {
			gqlErr = gqlerror.Wrap(parseErr)
		}
		errcode.Set(gqlErr, errcode.ParseFailed)
		return nil, nil, gqlErr
	}
	if limitErr = withinLimits(doc); limitErr == nil {
		g.parsed.Add(ctx, query, doc)
	}
	return doc, limitErr, nil
}

// queriesOnlyOverGET refuses a mutation (or subscription) sent with GET:
// GET must be safe.
func queriesOnlyOverGET(ctx context.Context, op *ast.OperationDefinition) *gqlerror.Error {
	x := exchangeFrom(ctx)
	if x == nil || x.method != http.MethodGet || op == nil || op.Operation == ast.Query {
		return nil
	}
	refuse(ctx, reasonMethod)
	return &gqlerror.Error{
		Message:    "a " + string(op.Operation) + " must be sent with POST",
		Extensions: map[string]any{"code": reasonMethod},
	}
}

// requireActor refuses a document without an authenticated caller unless
// all it asks for is introspection (__schema, __type, __typename), which
// tools fetch without a token. Every operation of the document counts, not
// only the one to run: validation covers them all. The HTTP layer has
// verified the token, if any, and put the actor in the context (the
// websocket transport, the connection_init payload's).
func requireActor(ctx context.Context, doc *ast.QueryDocument) *gqlerror.Error {
	if _, ok := auth.ActorFrom(ctx); ok {
		return nil
	}
	if onlyIntrospectionDocument(doc) {
		return nil
	}
	refuse(ctx, CodeUnauthenticated)
	return &gqlerror.Error{
		Message:    app.ErrUnauthenticated.Error(),
		Err:        app.ErrUnauthenticated,
		Extensions: map[string]any{"code": CodeUnauthenticated},
	}
}

func onlyIntrospectionDocument(doc *ast.QueryDocument) bool {
	seen := map[string]bool{}
	for _, op := range doc.Operations {
		if !onlyIntrospection(doc, op.SelectionSet, seen) {
			return false
		}
	}
	return true
}

// onlyIntrospection reports whether a root selection set selects nothing
// but introspection fields, looking through fragments (by name: the
// document is not validated yet), each once.
func onlyIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "__schema" && s.Name != "__type" && s.Name != "__typename" {
				return false
			}
		case *ast.InlineFragment:
			if !onlyIntrospection(doc, s.SelectionSet, seen) {
				return false
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			def := doc.Fragments.ForName(s.Name)
			if def == nil {
				continue
			}
			if !onlyIntrospection(doc, def.SelectionSet, seen) {
				return false
			}
		}
	}
	return true
}
