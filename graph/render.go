package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/liveop"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// Fan-out renders each event once per kind of subscriber instead of once
// per subscriber. Executing a subscription's selection set for every
// delivery — resolvers, field marshalling, the garbage it leaves — was the
// largest share of the server's CPU when one event reaches a thousand
// subscribers, and those executions all produce the same bytes.
//
// When they do: the rendering of a delivered event depends on
//   - the document and the variables used below the subscription's root
//     field (its own arguments — which pulse, `after`, the filter — choose
//     the events, not how they are rendered);
//   - the event (its id and position);
//   - what the viewer may see of the rows the event points to. The hub
//     delivers an event only to viewers in its audience, and the pulse
//     and response an event names are visible to exactly its audience
//     (auth.CanSeeResponse and auth.AudienceOf share one rule), so every
//     subscriber that receives the event sees them alike;
//   - nothing else, unless the selection reaches a field whose result is
//     the viewer's own (viewerRelativeFields): such subscriptions are
//     rendered per subscriber, as before.
//
// The viewer's role is part of the key all the same, so that a field that
// one day shows more to a role than to another cannot leak across roles.

// viewerRelativeFields are the fields reachable from Event whose result
// depends on who asks beyond the event's audience: connections filtered by
// the viewer. TestEveryFieldUnderEventIsClassified keeps this list honest.
var viewerRelativeFields = map[string]bool{
	"Pulse.responses": true,
	"Pulse.events":    true,
}

// renderOnce is the operation interceptor that shares renderings.
type renderOnce struct {
	cache *renderCache
	// rendered, shared and own count deliveries by how they were made.
	rendered, shared, own prometheus.Counter
}

func newRenderOnce(ttl time.Duration, m *metrics) renderOnce {
	return renderOnce{
		cache:    newRenderCache(ttl),
		rendered: m.renders.WithLabelValues("rendered"),
		shared:   m.renders.WithLabelValues("shared"),
		own:      m.renders.WithLabelValues("own"),
	}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = renderOnce{}

func (renderOnce) ExtensionName() string                   { return "RenderOnce" }
func (renderOnce) Validate(graphql.ExecutableSchema) error { return nil }

func (x renderOnce) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	rc := graphql.GetOperationContext(ctx)
	actor, ok := auth.ActorFrom(ctx)
	if !ok || rc.Operation == nil || rc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	doc, shareable := documentKey(rc)
	t := &tap{out: make(chan event.Envelope, 1)}
	if shareable && tracing.Enabled() {
		// The delivery span counts renderings by this key's groups.
		ctx = live.WithRenderGroup(ctx, string(doc[:])+"\x00"+string(actor.Role))
	}
	st := &stateTap{out: make(chan store.Pulse, 1)}
	render := next(context.WithValue(context.WithValue(ctx, tapKey{}, t), stateTapKey{}, st))
	if st.src != nil {
		return x.renderStates(rc, actor, st, render)
	}
	if t.src == nil {
		return render // the resolver refused: its error is in render
	}
	op := liveop.From(ctx)
	return func(ctx context.Context) *graphql.Response {
		ev, open := t.src.Next()
		if !open {
			close(t.out)
			return render(ctx) // the generated code sees the end, and ends
		}
		// The transport labels the result with it (SSE's id:), whether or
		// not the client selected Event.cursor.
		op.Delivering(app.EventCursor(ev))
		if !shareable {
			t.out <- ev
			resp := render(ctx)
			if resp != nil {
				x.own.Inc()
			}
			return resp
		}
		key := renderKey{doc: doc, role: actor.Role, event: ev.ID, position: ev.Position}
		resp, encoded, made := x.cache.do(key, func() *graphql.Response {
			t.out <- ev
			return render(ctx)
		})
		if encoded != nil {
			// Every subscriber's frame carries these same bytes.
			op.ShareEncoded(resp, encoded)
		}
		switch {
		case resp == nil:
		case made:
			x.rendered.Inc()
		default:
			x.shared.Inc()
		}
		return resp
	}
}

// tap sits between the hub's subscription (src) and the channel gqlgen
// reads (out), so that an event can be looked at before gqlgen executes
// anything for it. It also spares each subscription the goroutine that
// would otherwise feed a channel from the hub: the response handler reads
// the hub itself, called by the transport when the hub has said
// (liveop.Op.Notify) that an event is ready.
type tap struct {
	src *live.Subscription
	out chan event.Envelope
}

type tapKey struct{}

// tapped hands the subscription to the operation's tap, if it has one, and
// returns the channel gqlgen should read. With a tap, a transport that
// pushes drives the delivery: the response handler is then called only
// when Next would not wait.
func tapped(ctx context.Context, sub *live.Subscription, op *liveop.Op) <-chan event.Envelope {
	t, ok := ctx.Value(tapKey{}).(*tap)
	if !ok {
		return sub.Events()
	}
	t.src = sub
	op.Attach(sub.Ready)
	return t.out
}

// documentKey digests what shapes the rendering of the operation's events:
// the document, the operation's name and the variables used below the root
// field. false when the selection reaches a viewer-relative field.
func documentKey(rc *graphql.OperationContext) ([sha256.Size]byte, bool) {
	sum, relative, ok := documentDigest(rc)
	return sum, ok && !relative
}

// documentDigest is documentKey's digest, and whether the selection reaches
// a viewer-relative field; false when it cannot be digested.
func documentDigest(rc *graphql.OperationContext) (sum [sha256.Size]byte, relative, ok bool) {
	vars := map[string]bool{}
	for _, sel := range rc.Operation.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			return [sha256.Size]byte{}, false, false // a fragment at the root: rare, not worth the walk
		}
		directiveVars(f.Directives, vars)
		walkSelection(f.SelectionSet, vars, &relative, map[string]bool{})
	}
	h := sha256.New()
	h.Write([]byte(rc.RawQuery))
	h.Write([]byte{0})
	h.Write([]byte(rc.OperationName))
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v, err := json.Marshal(rc.Variables[name])
		if err != nil {
			return [sha256.Size]byte{}, false, false
		}
		h.Write([]byte{0})
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(v)
	}
	h.Sum(sum[:0])
	return sum, relative, true
}

// walkSelection collects the variables the selection uses, and sets
// relative when it reaches a viewer-relative field.
func walkSelection(set ast.SelectionSet, vars map[string]bool, relative *bool, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil && viewerRelativeFields[s.ObjectDefinition.Name+"."+s.Name] {
				*relative = true
			}
			for _, a := range s.Arguments {
				valueVars(a.Value, vars)
			}
			directiveVars(s.Directives, vars)
			walkSelection(s.SelectionSet, vars, relative, seen)
		case *ast.InlineFragment:
			directiveVars(s.Directives, vars)
			walkSelection(s.SelectionSet, vars, relative, seen)
		case *ast.FragmentSpread:
			directiveVars(s.Directives, vars)
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				walkSelection(s.Definition.SelectionSet, vars, relative, seen)
			}
		}
	}
}

func directiveVars(ds ast.DirectiveList, vars map[string]bool) {
	for _, d := range ds {
		for _, a := range d.Arguments {
			valueVars(a.Value, vars)
		}
	}
}

func valueVars(v *ast.Value, vars map[string]bool) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		vars[v.Raw] = true
	}
	for _, c := range v.Children {
		valueVars(c.Value, vars)
	}
}

type renderKey struct {
	doc      [sha256.Size]byte
	role     auth.Role
	event    uuid.UUID
	position int64
	// viewer is set when the rendering is the viewer's own (a pulse state
	// whose selection reaches a viewer-relative field).
	viewer uuid.UUID
}

// renderCache holds recent renderings, each made once: concurrent
// subscribers asking for the same one wait for the first to finish. Two
// generations rotated every ttl keep each entry between ttl and 2×ttl:
// a fan-out reaches every subscriber well within that, and a subscriber
// further behind renders for itself.
type renderCache struct {
	ttl time.Duration

	mu        sync.Mutex
	cur, prev map[renderKey]*rendering
	rotated   time.Time
}

// maxRenderings bounds the renderings kept per generation (a few hundred
// bytes to a few KiB each): far more than the kinds of subscriber one event
// has in practice.
const maxRenderings = 4096

type rendering struct {
	done chan struct{}
	resp *graphql.Response // nil: not shareable (an error, or the subscriber went away)
	// encoded is resp as JSON, made once for every frame that carries it.
	encoded []byte
}

func newRenderCache(ttl time.Duration) *renderCache {
	return &renderCache{ttl: ttl, cur: map[renderKey]*rendering{}, prev: map[renderKey]*rendering{}, rotated: time.Now()}
}

// do returns the rendering for key, making it with render if nobody has,
// and, when it is shared, its JSON; made reports whether this call
// rendered.
func (c *renderCache) do(key renderKey, render func() *graphql.Response) (resp *graphql.Response, encoded []byte, made bool) {
	c.mu.Lock()
	if now := time.Now(); now.Sub(c.rotated) >= c.ttl {
		c.prev, c.cur, c.rotated = c.cur, make(map[renderKey]*rendering, len(c.cur)), now
	}
	r, found := c.cur[key]
	if !found {
		if r, found = c.prev[key]; found {
			c.cur[key] = r
		}
	}
	if !found {
		if len(c.cur) >= maxRenderings {
			// Subscribers with as many different documents would each keep
			// their own: render without keeping it, memory stays bounded.
			c.mu.Unlock()
			return render(), nil, true
		}
		r = &rendering{done: make(chan struct{})}
		c.cur[key] = r
	}
	c.mu.Unlock()

	if found {
		<-r.done
		if r.resp != nil {
			return r.resp, r.encoded, false
		}
		return render(), nil, true
	}
	resp = render()
	if resp != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 {
		// The generated handler reuses its buffer for the next event: the
		// shared copy must own its bytes.
		shared := *resp
		shared.Data = bytes.Clone(resp.Data)
		if b, err := json.Marshal(&shared); err == nil {
			r.resp, r.encoded = &shared, b
		}
	}
	close(r.done)
	if r.resp != nil {
		return r.resp, r.encoded, true
	}
	return resp, nil, true
}
