package graph

import (
	"context"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/edupulse/edupulse-live/internal/app"
)

// ---------------------------------------------------------------------------
// Document size, before validation

// Limits on the document itself, checked on its syntax tree before gqlparser
// validates it. Each costs one walk of the document; validation can cost
// much more: its OverlappingFieldsCanBeMerged rule compares every pair of
// fields that share a response name (in one selection set, or across the
// fragments spread together), so its work grows with the square of the
// fields: 14,000 `id` under one field took 16 s of CPU. The largest
// operation this schema's clients have a reason to send (a page of events
// with every field and every payload variant, or GraphiQL's introspection
// query) has under 150 fields, a dozen fragment spreads and a handful of
// fragments. BenchmarkHostileDocuments measures the worst documents these
// limits let through.
const (
	// MaxDocumentFields bounds the field selections of a document, aliased
	// or not, wherever they are (operations and fragments alike). The
	// quadratic rule's worst case grows with its square: 500 fields of one
	// name cost 20 ms of CPU to validate, 300 about 7.
	MaxDocumentFields = 300
	// MaxDocumentFragmentSpreads bounds the `...Name` of a document.
	MaxDocumentFragmentSpreads = 100
	// MaxDocumentDefinitions bounds operations and fragments together:
	// validation walks every fragment a definition reaches once per
	// definition, a cost of definitions × size.
	MaxDocumentDefinitions = 50
	// MaxMutationRootFields bounds the mutations one request runs: each
	// root field of a mutation is a write (and an event), run one after
	// the other, and aliases would let one request make hundreds. Ten is
	// more than any screen of the app does at once.
	MaxMutationRootFields = 10
)

// Reasons (extensions.reason) of the refusals below; BAD_USER_INPUT is
// their code.
const (
	reasonDocumentLimit = "DOCUMENT_LIMIT_EXCEEDED"
	reasonMutationLimit = "MUTATION_LIMIT_EXCEEDED"
)

func init() {
	for _, c := range []string{reasonDocumentLimit, reasonMutationLimit} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// documentSize is what the limits count: selections as written, fragments
// not expanded.
type documentSize struct {
	fields, spreads int
}

func (n *documentSize) add(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n.fields++
			n.add(s.SelectionSet)
		case *ast.InlineFragment:
			n.add(s.SelectionSet)
		case *ast.FragmentSpread:
			n.spreads++
		}
	}
}

// withinLimits refuses a document over MaxDocumentFields,
// MaxDocumentFragmentSpreads or MaxDocumentDefinitions.
func withinLimits(doc *ast.QueryDocument) *gqlerror.Error {
	if defs := len(doc.Operations) + len(doc.Fragments); defs > MaxDocumentDefinitions {
		return documentLimit("operations and fragments", defs, MaxDocumentDefinitions)
	}
	var n documentSize
	for _, op := range doc.Operations {
		n.add(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n.add(f.SelectionSet)
	}
	if n.fields > MaxDocumentFields {
		return documentLimit("fields", n.fields, MaxDocumentFields)
	}
	if n.spreads > MaxDocumentFragmentSpreads {
		return documentLimit("fragment spreads", n.spreads, MaxDocumentFragmentSpreads)
	}
	return nil
}

func documentLimit(what string, n, limit int) *gqlerror.Error {
	err := gqlerror.Errorf("the document has %d %s, which exceeds the limit of %d", n, what, limit)
	errcode.Set(err, reasonDocumentLimit)
	return err
}

// fewMutations refuses a mutation operation with more than
// MaxMutationRootFields root fields. It counts what would run: the
// distinct response names of the root, through fragments (each once),
// since fields of one name are merged into one execution.
func fewMutations(doc *ast.QueryDocument, op *ast.OperationDefinition) *gqlerror.Error {
	if op == nil || op.Operation != ast.Mutation {
		return nil
	}
	names := map[string]bool{}
	rootResponseNames(doc, op.SelectionSet, names, map[string]bool{})
	if len(names) <= MaxMutationRootFields {
		return nil
	}
	err := gqlerror.Errorf("the operation runs %d mutations, which exceeds the limit of %d per request",
		len(names), MaxMutationRootFields)
	errcode.Set(err, reasonMutationLimit)
	return err
}

func rootResponseNames(doc *ast.QueryDocument, set ast.SelectionSet, names, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue // writes nothing
			}
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			names[name] = true
		case *ast.InlineFragment:
			rootResponseNames(doc, s.SelectionSet, names, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			def := doc.Fragments.ForName(s.Name)
			if def == nil {
				continue
			}
			rootResponseNames(doc, def.SelectionSet, names, seen)
		}
	}
}

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

// complexityLimit refuses an operation whose complexity exceeds Max. It
// computes what gqlgen's extension.ComplexityLimit computes, with each
// fragment weighed once: gqlgen's walker expands a fragment at every
// spread, so n fragments each spreading the previous one twice cost it 2^n
// steps (24 of them, in a 900-byte document, took seconds). A fragment's
// weight does not depend on where it is spread (its fields carry their own
// parent type, and the variables are the operation's), so the memo is
// exact.
type complexityLimit struct {
	Max int
	es  graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &complexityLimit{}

// complexityStatsName is gqlgen's, so that extension.GetComplexityStats
// finds ours.
const complexityStatsName = "ComplexityLimit"

func (*complexityLimit) ExtensionName() string { return complexityStatsName }
func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	w := complexityWalker{ctx: ctx, es: c.es, vars: op.Variables, memo: map[string]int{}, active: map[string]bool{}}
	n := w.selectionSet(op.Operation.SelectionSet)
	op.Stats.SetExtension(complexityStatsName, &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.Max})
	if n > c.Max {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.Max)
		errcode.Set(err, reasonComplexityLimit)
		return err
	}
	return nil
}

type complexityWalker struct {
	ctx  context.Context
	es   graphql.ExecutableSchema
	vars map[string]any
	// memo holds each fragment's weight; active guards against a fragment
	// cycle, which validation has refused already.
	memo   map[string]int
	active map[string]bool
}

func (w *complexityWalker) selectionSet(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = saturatingAdd(total, w.field(s))
		case *ast.InlineFragment:
			total = saturatingAdd(total, w.selectionSet(s.SelectionSet))
		case *ast.FragmentSpread:
			total = saturatingAdd(total, w.fragment(s))
		}
	}
	return total
}

func (w *complexityWalker) fragment(s *ast.FragmentSpread) int {
	if s.Definition == nil || w.active[s.Name] {
		return 0
	}
	if n, ok := w.memo[s.Name]; ok {
		return n
	}
	w.active[s.Name] = true
	n := w.selectionSet(s.Definition.SelectionSet)
	delete(w.active, s.Name)
	w.memo[s.Name] = n
	return n
}

// field is a field's weight as gqlgen's walker has it: the schema's
// complexity function when there is one (the worst over an interface's
// implementations), otherwise 1 plus the children's.
func (w *complexityWalker) field(f *ast.Field) int {
	schema := w.es.Schema()
	typ := schema.Types[f.Definition.Type.Name()]
	if typ.Name == "__Schema" {
		return 0
	}
	child := 0
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.selectionSet(f.SelectionSet)
	}
	args := f.ArgumentMap(w.vars)
	parents := []*ast.Definition{f.ObjectDefinition}
	if f.ObjectDefinition.Kind == ast.Interface {
		parents = schema.GetPossibleTypes(f.ObjectDefinition)
	}
	worst := 0
	for _, p := range parents {
		n, ok := w.es.Complexity(w.ctx, p.Name, f.Name, child, args)
		if !ok || n < 1 {
			n = saturatingAdd(1, child)
		}
		worst = max(worst, n)
	}
	return worst
}

// saturatingAdd adds weights without overflowing: a document may make
// them as large as it likes.
func saturatingAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

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
