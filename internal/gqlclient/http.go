// Package gqlclient speaks to the server as the benchmark's load does:
// GraphQL over HTTP (mutations) and graphql-transport-ws over a gorilla
// websocket (subscriptions), cheaply enough that a load generator leaves
// the cores to the server.
package gqlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// HTTP posts GraphQL documents to one server.
type HTTP struct {
	url string
	hc  *http.Client
}

// NewHTTP returns a client of baseURL/query keeping up to conns
// connections alive (one per concurrent caller).
func NewHTTP(baseURL string, conns int) *HTTP {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &HTTP{url: baseURL + "/query", hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Close drops the idle connections.
func (c *HTTP) Close() { c.hc.CloseIdleConnections() }

// Body encodes a GraphQL request.
func Body(query string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err) // only strings, numbers and maps of them
	}
	return b
}

// ErrGraphQL wraps a response that carried GraphQL errors.
var ErrGraphQL = errors.New("graphql error")

// Do posts body with token as bearer and returns the response body. A
// status other than 200, or a response with errors, is an error.
func (c *HTTP) Do(ctx context.Context, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return raw, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	if bytes.Contains(raw, []byte(`"errors":`)) {
		return raw, fmt.Errorf("%w: %s", ErrGraphQL, snippet(raw))
	}
	return raw, nil
}

// Decode runs Do and decodes the response's data into out.
func (c *HTTP) Decode(ctx context.Context, token string, body []byte, out any) error {
	raw, err := c.Do(ctx, token, body)
	if err != nil {
		return err
	}
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return json.Unmarshal(env.Data, out)
}

func snippet(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
