package graph

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/edupulse/edupulse-live/internal/app"
)

// ---------------------------------------------------------------------------
// Depth

// depthLimit refuses an operation whose fields nest deeper than Max, counted
// through inline fragments and fragment spreads (a spread adds no level of
// its own). Introspection (__schema, __type) is left to gqlparser's
// MaxIntrospectionDepth rule, so that tools' introspection queries pass.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if n := operationDepth(op.Operation.SelectionSet, map[string]int{}, map[string]bool{}); n > d.Max {
		err := gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", n, d.Max)
		errcode.Set(err, reasonDepthLimit)
		return err
	}
	return nil
}

// operationDepth is the depth of the deepest field of set (a field whose
// own selection set is empty counts 1). memo holds each fragment's depth,
// computed once; active guards against a fragment cycle, which validation
// has refused already.
func operationDepth(set ast.SelectionSet, memo map[string]int, active map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			d = 1 + operationDepth(s.SelectionSet, memo, active)
		case *ast.InlineFragment:
			d = operationDepth(s.SelectionSet, memo, active)
		case *ast.FragmentSpread:
			if s.Definition == nil || active[s.Name] {
				continue
			}
			var ok bool
			if d, ok = memo[s.Name]; !ok {
				active[s.Name] = true
				d = operationDepth(s.Definition.SelectionSet, memo, active)
				delete(active, s.Name)
				memo[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// ---------------------------------------------------------------------------
// Complexity

// complexity weighs the connection fields by the page they ask for, so that
// the limit bounds the rows an operation can make the server read: nested
// pages multiply (pulses → events → …). Other fields keep gqlgen's default
// of 1 plus their children.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Pulses = func(child int, _ *uuid.UUID, first *int, _ *string) int { return page(child, first, 20) }
	c.Query.EventsByAggregate = func(child int, _ uuid.UUID, first *int, _ *string) int { return page(child, first, 50) }
	c.Pulse.Responses = func(child int, first *int, _ *string) int { return page(child, first, 50) }
	c.Pulse.Events = func(child int, first *int, _ *string) int { return page(child, first, 50) }
	return c
}

func page(child int, first *int, def int) int {
	n := def
	if first != nil {
		// The use case refuses a size out of range; the weight need only
		// stay finite until then.
		n = min(max(*first, 0), app.MaxPageSize)
	}
	return 1 + n*child
}

// ---------------------------------------------------------------------------
// Literal ranges

// intLiteralsInRange refuses numeric literals that do not fit the widest Go
// types gqlgen converts them to (int64, float64). gqlparser checks Int
// literals against 32 bits but leaves custom scalars (our Int64) alone, and
// a literal out of range would otherwise make gqlgen panic while building
// the arguments.
var intLiteralsInRange = core.Rule{
	Name: "NumericLiteralsInRange",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnValue(func(_ *core.Walker, v *ast.Value) {
			var err error
			switch v.Kind {
			case ast.IntValue:
				_, err = strconv.ParseInt(v.Raw, 10, 64)
			case ast.FloatValue:
				_, err = strconv.ParseFloat(v.Raw, 64)
			default:
				return
			}
			if err != nil {
				addError(core.Message("number %s is out of range", v.Raw), core.At(v.Position))
			}
		})
	},
}

func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.AddRule(intLiteralsInRange.Name, intLiteralsInRange.RuleFunc)
	return r
}
