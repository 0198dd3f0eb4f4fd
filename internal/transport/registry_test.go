package transport_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/transport"
)

// One Registry for both transports: CloseAll ends a websocket (1012) and
// an event stream (no `complete`, a reconnection delay) at once, and
// refuses both afterwards.
func TestRegistryClosesWebsocketsAndStreams(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, nil)
	e.ts.AddTransport(transport.SSE{Registry: e.reg})
	e.start(t, nil)

	ws := e.connect(t, wsProtocols[0])
	ws.subscribe("1", nameSubscription)
	stream := func() *http.Response {
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/query?"+url.Values{"query": {nameSubscription}}.Encode(), nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	resp := stream()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { return e.reg.Websockets() == 1 && e.reg.Streams() == 1 },
		5*time.Second, 5*time.Millisecond)

	e.reg.CloseAll(transport.CloseServiceRestart, "service restart")
	require.Equal(t, 1012, ws.closed(5*time.Second).Code)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Regexp(t, `^:\n\nretry: \d{4}\n\n$`, string(rest))
	require.Zero(t, e.reg.Websockets())
	require.Eventually(t, func() bool { return e.reg.Streams() == 0 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, http.StatusServiceUnavailable, stream().StatusCode)
}
