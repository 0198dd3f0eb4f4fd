package wsgorilla_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/wsgorilla"
)

// harness serves one handler per test: accepted connections go to conns.
type harness struct {
	impl  *wsgorilla.Implementation
	srv   *httptest.Server
	conns chan *wsgorilla.Conn
}

func newHarness(t *testing.T, impl *wsgorilla.Implementation) *harness {
	t.Helper()
	h := &harness{impl: impl, conns: make(chan *wsgorilla.Conn, 8)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := impl.Accept(w, r, transport.WebsocketAcceptOptions{
			ResponseHeader: http.Header{},
			Subprotocols:   []string{"graphql-ws", "graphql-transport-ws"},
		})
		if err != nil {
			http.Error(w, "unable to upgrade", http.StatusBadRequest)
			return
		}
		h.conns <- c.(*wsgorilla.Conn)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) dial(t *testing.T, protocols ...string) (*websocket.Conn, *wsgorilla.Conn) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 5 * time.Second}
	client, resp, err := d.Dial("ws"+strings.TrimPrefix(h.srv.URL, "http"), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = client.Close() })
	select {
	case c := <-h.conns:
		t.Cleanup(func() { _ = c.Close() })
		return client, c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
		return nil, nil
	}
}

// closeCode reads from client until the close frame and returns its code.
func closeCode(t *testing.T, client *websocket.Conn) int {
	t.Helper()
	code, err := readCloseCode(client)
	require.NoError(t, err)
	return code
}

// readCloseCode reads until the close frame and returns its code; it
// asserts nothing, so it may run off the test's goroutine.
func readCloseCode(client *websocket.Conn) (int, error) {
	if err := client.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return 0, err
	}
	for {
		_, _, err := client.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			return 0, err
		}
		return ce.Code, nil
	}
}

func TestSubprotocolNegotiation(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{
		Upgrader: websocket.Upgrader{Subprotocols: []string{"graphql-transport-ws"}},
	})
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{"graphql-transport-ws"}, "graphql-transport-ws"},
		{[]string{"graphql-ws"}, "graphql-ws"},
		{[]string{"graphql-ws", "graphql-transport-ws"}, "graphql-transport-ws"}, // ours first
		{nil, ""},
		{[]string{"mqtt"}, ""},
	} {
		client, c := h.dial(t, tc.offered...)
		require.Equal(t, tc.want, c.Subprotocol(), "offered %v", tc.offered)
		require.Equal(t, tc.want, client.Subprotocol())
	}
}

func TestReadWriteAndNormalClose(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{})
	for _, code := range []int{websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived} {
		client, c := h.dial(t, "graphql-transport-ws")

		require.NoError(t, c.WriteJSON(map[string]string{"type": "ping"}))
		_, msg, err := client.ReadMessage()
		require.NoError(t, err)
		require.JSONEq(t, `{"type":"ping"}`, string(msg))

		require.NoError(t, client.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`)))
		mt, r, err := c.NextReader()
		require.NoError(t, err)
		require.Equal(t, websocket.TextMessage, mt)
		body, err := io.ReadAll(r)
		require.NoError(t, err)
		require.JSONEq(t, `{"type":"pong"}`, string(body))

		require.NoError(t, client.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, "")))
		_, _, err = c.NextReader()
		require.ErrorIs(t, err, transport.ErrWebsocketClosed, "code %d", code)
	}
}

func TestAbnormalCloseIsAnError(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{})
	client, c := h.dial(t, "graphql-transport-ws")
	require.NoError(t, client.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4400, "bad")))
	_, _, err := c.NextReader()
	require.Error(t, err)
	require.NotErrorIs(t, err, transport.ErrWebsocketClosed)
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 4400, ce.Code)
}

func TestFirstCloseFrameWins(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{})
	client, c := h.dial(t, "graphql-transport-ws")
	require.NoError(t, c.WriteClose(4408, strings.Repeat("é", 100))) // 200 bytes: cut to 123
	require.NoError(t, c.WriteClose(1000, "terminated"))
	require.Equal(t, 4408, c.CloseCode())

	require.NoError(t, client.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, _, err := client.ReadMessage()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 4408, ce.Code)
	require.Equal(t, strings.Repeat("é", 61), ce.Text)

	// gorilla's client answered; our reader sees the end of our handshake.
	_, _, err = c.NextReader()
	require.ErrorIs(t, err, transport.ErrWebsocketClosed)
}

func TestCloseWithDropsAPeerThatDoesNotAnswer(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{WriteTimeout: 200 * time.Millisecond})
	_, c := h.dial(t, "graphql-transport-ws") // the client never reads
	start := time.Now()
	c.CloseWith(4403, "Forbidden")
	select {
	case <-c.Done():
		require.Less(t, time.Since(start), 3*time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open")
	}
}

func TestCloseAfter(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{})
	client, c := h.dial(t, "graphql-transport-ws")
	stop := c.CloseAfter(time.Hour, 4408, "never")
	require.True(t, stop())
	c.CloseAfter(50*time.Millisecond, 4403, "Forbidden: token expired")
	go func() { _, _, _ = c.NextReader() }() // the transport's read loop
	require.Equal(t, 4403, closeCode(t, client))
}

func TestWriteTimeoutClosesTheConnection(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{WriteTimeout: 200 * time.Millisecond})
	client, c := h.dial(t, "graphql-transport-ws")
	if tc, ok := client.NetConn().(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	// The client reads nothing: writes soon block on full socket buffers.
	big := map[string]string{"type": "next", "payload": strings.Repeat("x", 64<<10)}
	errs := make(chan error, 1)
	go func() {
		for {
			if err := c.WriteJSON(big); err != nil {
				errs <- err
				return
			}
		}
	}()
	select {
	case err := <-errs:
		require.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("writes to a client that does not read never failed")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed after a write timeout")
	}
	// Any goroutine waiting to write is released at once.
	require.Error(t, c.WriteJSON(big))
}

func TestConcurrentWritersAreSerialised(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{})
	client, c := h.dial(t, "graphql-transport-ws")
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				if err := c.WriteJSON(map[string]string{"type": "ping"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	require.NoError(t, client.SetReadDeadline(time.Now().Add(5*time.Second)))
	for range writers * each {
		_, msg, err := client.ReadMessage()
		require.NoError(t, err)
		require.JSONEq(t, `{"type":"ping"}`, string(msg))
	}
	wg.Wait()
}

func TestReadLimitIsACeiling(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{ReadLimit: 1024})
	client, c := h.dial(t, "graphql-transport-ws")
	c.SetReadLimit(1 << 20) // gqlgen's default must not raise ours
	require.NoError(t, client.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 2048))))
	_, r, err := c.NextReader()
	if err == nil {
		_, err = io.ReadAll(r)
	}
	require.ErrorIs(t, err, websocket.ErrReadLimit)
	require.Equal(t, websocket.CloseMessageTooBig, closeCode(t, client))
}

func TestReadDeadline(t *testing.T) {
	h := newHarness(t, &wsgorilla.Implementation{})
	_, c := h.dial(t, "graphql-transport-ws")
	require.NoError(t, c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, _, err := c.NextReader()
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
}

func TestRegistryCloseAll(t *testing.T) {
	reg := wsgorilla.NewRegistry()
	h := newHarness(t, &wsgorilla.Implementation{Registry: reg, WriteTimeout: time.Second})
	var clients []*websocket.Conn
	for range 3 {
		client, c := h.dial(t, "graphql-transport-ws")
		clients = append(clients, client)
		go func() { // the transport's read loop
			for {
				if _, _, err := c.NextReader(); err != nil {
					_ = c.Close()
					return
				}
			}
		}()
	}
	require.Equal(t, 3, reg.Len())

	codes := make(chan int, len(clients))
	for _, client := range clients {
		go func() {
			code, _ := readCloseCode(client) // 0 on another error: fails below
			codes <- code
		}()
	}
	done := make(chan struct{})
	go func() {
		reg.CloseAll(wsgorilla.CloseServiceRestart, "service restart")
		close(done)
	}()
	for range clients {
		require.Equal(t, wsgorilla.CloseServiceRestart, <-codes)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("CloseAll did not return")
	}
	require.Equal(t, 0, reg.Len())

	// A connection accepted afterwards is closed at once, the same way.
	late, _ := h.dial(t, "graphql-transport-ws")
	require.Equal(t, wsgorilla.CloseServiceRestart, closeCode(t, late))
}

func TestOriginAllowed(t *testing.T) {
	req := func(host, origin string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://"+host+"/query", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	same := &wsgorilla.Implementation{}
	require.True(t, same.OriginAllowed(req("api.example:8080", "")))
	require.True(t, same.OriginAllowed(req("api.example:8080", "https://API.example:8080")))
	require.False(t, same.OriginAllowed(req("api.example:8080", "https://evil.example")))
	require.False(t, same.OriginAllowed(req("api.example:8080", "null")))

	custom := &wsgorilla.Implementation{Upgrader: websocket.Upgrader{
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://app.example" },
	}}
	require.True(t, custom.OriginAllowed(req("api.example", "https://app.example")))
	require.False(t, custom.OriginAllowed(req("api.example", "https://api.example")))
}

func TestRefusedHandshakeWritesNothing(t *testing.T) {
	// gqlgen answers a failed Accept itself: the adapter must not have
	// written a status already.
	h := newHarness(t, &wsgorilla.Implementation{})
	req, err := http.NewRequest(http.MethodGet, h.srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket") // no key, no version
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "unable to upgrade\n", string(body))
}
