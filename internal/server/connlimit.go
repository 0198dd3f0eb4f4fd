package server

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edupulse/edupulse-live/internal/transport"
)

// codeRateLimited is the contract's code for a refusal that a later retry
// may pass (contract §4, Errors).
const codeRateLimited = "RATE_LIMITED"

// connRetryAfter is what a refused client is told to wait: connections
// are long-lived, so a slot frees up on a scale of seconds, not at once.
const connRetryAfter = 10 * time.Second

// perAddress bounds the websocket connections and event streams one
// client address holds open, so that one host cannot take every descriptor
// and every goroutine of an instance. A websocket counts from its upgrade
// request until its socket is closed, an event stream while its request
// runs.
type perAddress struct {
	limit int
	mu    sync.Mutex
	open  map[string]int
}

func newPerAddress(limit int) *perAddress {
	if limit <= 0 {
		return nil
	}
	return &perAddress{limit: limit, open: map[string]int{}}
}

func (p *perAddress) acquire(addr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open[addr] >= p.limit {
		return false
	}
	p.open[addr]++
	return true
}

func (p *perAddress) release(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open[addr]--; p.open[addr] <= 0 {
		delete(p.open, addr)
	}
}

// limitConns refuses a websocket upgrade past the limit with 429 before
// anything else runs (no token check, no upgrade). The slot is held by the
// hijacked connection and freed when it is closed, or when the handler
// returns without hijacking (a refused upgrade).
func limitConns(p *perAddress, refused prometheus.Counter, next http.Handler) http.Handler {
	if p == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, sse := transport.WebsocketRequested(r), transport.SSERequested(r)
		if !ws && !sse {
			next.ServeHTTP(w, r)
			return
		}
		addr := clientAddress(r)
		if !p.acquire(addr) {
			refused.Inc()
			writeRateLimited(w, "too many open connections from this address")
			return
		}
		if sse {
			// An event stream lives on its request: its slot, as long.
			defer p.release(addr)
			next.ServeHTTP(w, r)
			return
		}
		hw := &slotWriter{ResponseWriter: w, release: sync.OnceFunc(func() { p.release(addr) })}
		next.ServeHTTP(hw, r)
		if !hw.hijacked {
			hw.release()
		}
	})
}

// clientAddress is the peer's IP. Forwarded headers are not trusted: a
// client could name any address it likes in them.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeRateLimited(w http.ResponseWriter, message string) {
	body, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{
		"message":    message,
		"extensions": map[string]any{"code": codeRateLimited, "retryAfterMs": connRetryAfter.Milliseconds()},
	}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", strconv.Itoa(int(connRetryAfter.Seconds())))
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(append(body, '\n'))
}

// slotWriter hands the connection slot to the hijacked connection.
type slotWriter struct {
	http.ResponseWriter
	release  func()
	hijacked bool
}

func (s *slotWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return conn, rw, err
	}
	s.hijacked = true
	return &slotConn{Conn: conn, release: s.release}, rw, nil
}

func (s *slotWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// slotConn frees its slot when the connection is closed (by either side:
// the websocket code closes the socket when its read loop ends).
type slotConn struct {
	net.Conn
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
