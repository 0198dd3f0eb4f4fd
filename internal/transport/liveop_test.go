package transport_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/internal/liveop"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// Both transports put a liveop.Op in each operation's context and honour
// what the resolvers tell it: the shared JSON of a result is what goes
// out, as the same bytes; the cursor labels an SSE event (id:); End makes
// the operation's last message an error (websocket: `error`, no
// `complete`; SSE: a `next` with the error, then `complete`).
func TestTransportsHonourLiveop(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, nil)
	e.ts.AddTransport(transport.SSE{Registry: e.reg})
	const shared = `{"data":{"name":"rendered once"}}`
	e.ts.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		op := liveop.From(ctx)
		require.NotNil(t, op, "every operation carries its Op")
		resp := next(ctx)
		if resp == nil {
			op.End(&gqlerror.Error{Message: "slow", Extensions: map[string]any{"code": "SLOW_CONSUMER", "lastCursor": "c1"}})
			return nil
		}
		op.Delivering("c1")
		op.ShareEncoded(resp, []byte(shared))
		return resp
	})
	e.start(t, nil)

	t.Run("websocket", func(t *testing.T) {
		c := e.connect(t, transportWS)
		c.subscribe("1", nameSubscription)
		require.Eventually(t, func() bool { return e.live.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
		e.ts.SendNextSubscriptionMessage()
		require.Equal(t, shared, string(c.expect("next", "1").Payload)) //nolint:testifylint // the shared bytes themselves, not an equivalent JSON
		e.ts.SendCompleteSubscriptionMessage()
		m := c.expect("error", "1")
		require.JSONEq(t, `[{"message":"slow","extensions":{"code":"SLOW_CONSUMER","lastCursor":"c1"}}]`, string(m.Payload))
		c.silent(200 * time.Millisecond) // no complete after the error
	})
	e.waitIdle(t)

	t.Run("sse", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/query?"+url.Values{"query": {nameSubscription}}.Encode(), nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		br := bufio.NewReader(resp.Body)
		line := func() string {
			l, err := br.ReadString('\n')
			require.NoError(t, err)
			return strings.TrimSuffix(l, "\n")
		}
		require.Equal(t, ":", line())
		require.Empty(t, line())
		require.Eventually(t, func() bool { return e.live.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
		e.ts.SendNextSubscriptionMessage()
		require.Equal(t, []string{"event: next", "id: c1", "data: " + shared, ""}, []string{line(), line(), line(), line()})
		e.ts.SendCompleteSubscriptionMessage()
		require.Equal(t, "event: next", line())
		require.JSONEq(t, `{"data":null,"errors":[{"message":"slow","extensions":{"code":"SLOW_CONSUMER","lastCursor":"c1"}}]}`,
			strings.TrimPrefix(line(), "data: "))
		require.Equal(t, []string{"", "event: complete", "data:", ""}, []string{line(), line(), line(), line()})
	})
}
