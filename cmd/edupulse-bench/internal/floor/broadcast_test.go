package floor

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

func TestBroadcastSendsEveryMessageToEveryConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- NewBroadcast().Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	const conns = 5
	got := make(chan string, conns*4)
	for range conns {
		ws, err := gqlclient.DialRaw(ctx, gqlclient.WSURL(base, "/ws"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = ws.Close() })
		go func() { _ = ws.Read(func(m gqlclient.Message) { got <- string(m.Raw) }) }()
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/count")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw) == "5"
	}, 5*time.Second, 10*time.Millisecond)

	resp, err := http.Post(base+"/tick", "text/plain", strings.NewReader(`{"id":"s1","type":"next"}`+"\n"+`{"id":"s2","type":"next"}`+"\n"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	counts := map[string]int{}
	for range conns * 2 {
		select {
		case m := <-got:
			counts[m]++
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v", counts)
		}
	}
	assert.Equal(t, map[string]int{`{"id":"s1","type":"next"}`: conns, `{"id":"s2","type":"next"}`: conns}, counts)
	cancel()
	require.NoError(t, <-served)
}
