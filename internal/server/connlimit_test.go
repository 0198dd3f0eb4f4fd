package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// One address may hold MaxConnsPerIP websockets; the next upgrade is
// refused with 429 and RATE_LIMITED before anything else runs, and a
// closed socket gives its slot back.
func TestWebsocketsPerAddressAreLimited(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{}
	b := setup(t, func(o *Options) {
		o.MaxConnsPerIP = 2
		o.GraphQL = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			go func() { // echo until the client leaves, then close
				defer c.Close()
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
		})
	})
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/query"

	var open []*websocket.Conn
	for range 2 {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		require.NoError(t, err)
		open = append(open, c)
	}
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	var doc struct {
		Errors []struct {
			Extensions struct {
				Code         string
				RetryAfterMs int64
			}
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	require.NoError(t, json.Unmarshal(raw, &doc), string(raw))
	require.Equal(t, codeRateLimited, doc.Errors[0].Extensions.Code)
	require.Positive(t, doc.Errors[0].Extensions.RetryAfterMs)

	// Plain requests are not counted.
	require.Equal(t, http.StatusOK, b.do(httptest.NewRequest(http.MethodGet, "/healthz", nil)).Code)

	require.NoError(t, open[0].Close())
	require.Eventually(t, func() bool {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			return false
		}
		open[0] = c
		return true
	}, 5*time.Second, 20*time.Millisecond, "the closed socket's slot is free again")
	for _, c := range open {
		_ = c.Close()
	}
}

// A client that trickles its body is cut off at the body timeout instead
// of holding the connection for as long as it likes.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.BodyTimeout = 300 * time.Millisecond })
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = io.WriteString(conn, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		// One byte every 100 ms, for ten seconds at most, until a write
		// fails; the server's answer (or its close) ends the reader below.
		// The sleep is the test's subject: a client that trickles its
		// body must be cut off by the server's deadline.
		for range 100 {
			time.Sleep(100 * time.Millisecond)
			if _, err := io.WriteString(conn, " "); err != nil {
				return
			}
		}
	}()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		_ = resp.Body.Close()
		require.GreaterOrEqual(t, resp.StatusCode, 400, "the trickled body is refused")
	} else {
		var ne net.Error
		require.False(t, asTimeout(err, &ne), "the server, not our read deadline, ended it: %v", err)
	}
	_ = conn.Close()
	<-closed
}

func asTimeout(err error, ne *net.Error) bool {
	var e net.Error
	if errors.As(err, &e) {
		*ne = e
		return e.Timeout()
	}
	return false
}
