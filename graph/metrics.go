package graph

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
)

// metrics counts and times each query and mutation.
//
// The `operation` label is "<type>.<root field>" ("mutation.createPulse"),
// or "<type>.multiple" when an operation selects several root fields, or
// "invalid" when the request never became an operation. It is not the
// client's operationName: that string is chosen by clients, unbounded, and
// would make the series count unbounded too. `outcome` is "ok" or the
// lowercase code of the response's first error.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// renders counts subscription event renderings by how each was made
	// (see renderOnce): "rendered" executed for several subscribers,
	// "shared" answered from such a rendering, "own" executed for one
	// subscriber whose selection is its own (a viewer-relative field).
	renders *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "edupulse",
			Subsystem: "graphql",
			Name:      "requests_total",
			Help:      "GraphQL queries and mutations answered, by operation (type.rootField) and outcome (ok or the error code).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "edupulse",
			Subsystem: "graphql",
			Name:      "request_duration_seconds",
			Help:      "Time from receiving a GraphQL query or mutation to its response, by operation (type.rootField).",
			Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "edupulse",
			Subsystem: "graphql",
			Name:      "subscription_renders_total",
			Help:      "Subscription events rendered, by how: rendered once for every subscriber of a kind, shared from such a rendering, or own (a selection that differs per viewer).",
		}, []string{"how"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.requests, err = register(reg, m.requests)
	if err != nil {
		return nil, err
	}
	m.duration, err = register(reg, m.duration)
	if err != nil {
		return nil, err
	}
	m.renders, err = register(reg, m.renders)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector registered before
// (a second handler on the same registry, as tests build).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*metrics)(nil)

func (*metrics) ExtensionName() string                   { return "Metrics" }
func (*metrics) Validate(graphql.ExecutableSchema) error { return nil }

func (m *metrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	op := "invalid"
	start := graphql.GetStartTime(ctx)
	if graphql.HasOperationContext(ctx) {
		opCtx := graphql.GetOperationContext(ctx)
		if opCtx.Operation != nil {
			if opCtx.Operation.Operation == ast.Subscription {
				// Each event of a subscription is a response; they are
				// measured by the subscription layer, not as requests.
				return resp
			}
			op = operationLabel(opCtx.Operation)
		}
		if !opCtx.Stats.OperationStart.IsZero() {
			start = opCtx.Stats.OperationStart
		}
	}
	outcome := "ok"
	if len(resp.Errors) > 0 {
		if code, ok := resp.Errors[0].Extensions["code"].(string); ok {
			outcome = strings.ToLower(code)
		} else {
			outcome = "error"
		}
	}
	m.requests.WithLabelValues(op, outcome).Inc()
	if !start.IsZero() {
		m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	}
	return resp
}

// operationLabel names an operation by its type and root field, looking
// through fragments, each once (fragments spreading one another twice
// would otherwise make the walk exponential); names come from the schema,
// so the set is bounded.
func operationLabel(op *ast.OperationDefinition) string {
	var names []string
	seen := map[string]bool{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != "__typename" && !slices.Contains(names, s.Name) {
					names = append(names, s.Name)
				}
			case *ast.InlineFragment:
				collect(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil && !seen[s.Name] {
					seen[s.Name] = true
					collect(s.Definition.SelectionSet)
				}
			}
		}
	}
	collect(op.SelectionSet)
	switch len(names) {
	case 0:
		return string(op.Operation) + ".__typename"
	case 1:
		return string(op.Operation) + "." + names[0]
	default:
		return string(op.Operation) + ".multiple"
	}
}
