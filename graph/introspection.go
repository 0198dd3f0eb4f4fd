package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// reasonIntrospectionDisabled is the refusal's extensions.reason.
const reasonIntrospectionDisabled = "INTROSPECTION_DISABLED"

// noIntrospection refuses, before anything runs, an operation that asks
// for __schema or __type where introspection is off (production's
// default). Without it gqlgen's resolvers fail one field at a time with an
// error the presenter can only call internal. __typename stays allowed:
// clients' caches need it.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }
func (noIntrospection) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if !asksIntrospection(op.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	err := gqlerror.Errorf("introspection is disabled on this server")
	err.Extensions = map[string]any{"code": reasonIntrospectionDisabled}
	return err
}

// asksIntrospection walks set and the fragments it spreads, each fragment
// once, so that its cost is linear in the document.
func asksIntrospection(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || asksIntrospection(s.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if asksIntrospection(s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if asksIntrospection(s.Definition.SelectionSet, seen) {
				return true
			}
		}
	}
	return false
}
