package gqlclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SSE is one GraphQL-over-SSE stream (the graphql-sse protocol's distinct
// connections mode): one subscription on its own HTTP connection. Its
// messages are reported like a websocket's, under the id "s1", so that
// code counting deliveries serves both.
type SSE struct {
	body io.ReadCloser
}

// SSEClient returns an HTTP client for many streams at once: a connection
// each, none shared or kept idle.
func SSEClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:              nil,
		DialContext:        (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		DisableCompression: true,
		DisableKeepAlives:  true,
		ForceAttemptHTTP2:  false,
		ReadBufferSize:     2048,
		WriteBufferSize:    1024,
	}}
}

// DialSSE subscribes with GET baseURL/query (Accept: text/event-stream),
// authenticated with token, and returns once the server has answered 200.
// The stream outlives ctx, which bounds the dial only.
func DialSSE(ctx context.Context, hc *http.Client, baseURL, token, query string, vars map[string]any) (*SSE, error) {
	q := url.Values{"query": {query}}
	if vars != nil {
		raw, err := json.Marshal(vars)
		if err != nil {
			return nil, err
		}
		q.Set("variables", string(raw))
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, baseURL+"/query?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := hc.Do(req) //nolint:bodyclose // closed by the caller of the stream, or below when ctx ends first
		done <- answer{resp, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		go func() {
			if a := <-done; a.resp != nil {
				_ = a.resp.Body.Close()
			}
		}()
		return nil, ctx.Err()
	}
	if a.err != nil {
		return nil, a.err
	}
	if a.resp.StatusCode != http.StatusOK || !strings.HasPrefix(a.resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(io.LimitReader(a.resp.Body, 512))
		_ = a.resp.Body.Close()
		return nil, fmt.Errorf("HTTP %d %s: %s", a.resp.StatusCode, a.resp.Header.Get("Content-Type"), raw)
	}
	return &SSE{body: a.resp.Body}, nil
}

// Read reads events until the stream ends or is closed, and hands each
// to fn: Type is the event's name (next, complete), Raw its data.
// Comments (the heart-beat) are skipped. It returns the error that ended
// it (nil at the end of the stream, or after a Close of ours).
func (s *SSE) Read(fn func(Message)) error {
	br := bufio.NewReaderSize(s.body, 4096)
	var event string
	var data bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "closed") {
				return nil
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				// A long line: gather it whole.
				rest, err2 := br.ReadBytes('\n')
				if err2 != nil {
					return err2
				}
				line = append(bytes.Clone(line), rest...)
			} else {
				return err
			}
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		switch {
		case len(line) == 0:
			if event != "" || data.Len() > 0 {
				m := Message{Raw: data.Bytes(), At: time.Now()}
				m.Type, m.ID = event, "s1"
				_, m.EventID = ids(m.Raw)
				fn(m)
			}
			event = ""
			data.Reset()
		case line[0] == ':':
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(bytes.TrimPrefix(line[len("data:"):], []byte(" ")))
		}
	}
}

// Close ends the stream (the server sees the connection close).
func (s *SSE) Close() error { return s.body.Close() }
