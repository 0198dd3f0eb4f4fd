package transport

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// What both transports share at the edge: which requests are theirs,
// which origins may open them, how long a write may take.

// DefaultWriteTimeout bounds the write of a websocket frame or of an SSE
// event: a client that does not read for that long is cut.
const DefaultWriteTimeout = 10 * time.Second

// WebsocketRequested reports whether r opens a websocket (RFC 6455 §4.1).
func WebsocketRequested(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHas(r.Header, "Connection", "upgrade") &&
		headerHas(r.Header, "Upgrade", "websocket")
}

// SSERequested reports whether r asks for an event stream: a GET or POST
// whose Accept lists text/event-stream, and no websocket upgrade.
func SSERequested(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
				return true
			}
		}
	}
	return false
}

// headerHas reports whether the comma-separated header name lists token
// (case-insensitively), as in "Connection: keep-alive, Upgrade".
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// Origins are the web origins allowed to use the live transports from a
// browser: the configured ones (scheme://host[:port]) and, in development,
// any http(s) origin on localhost, 127.0.0.1 or [::1], whatever its port
// (a front end's development server). The HTTP layer's CORS and the
// websocket's origin check both ask it.
type Origins struct {
	set map[string]bool
	dev bool
}

// NewOrigins returns the allow-list of allowed, with loopback origins too
// when dev.
func NewOrigins(allowed []string, dev bool) Origins {
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		set[strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))] = true
	}
	return Origins{set: set, dev: dev}
}

// Allowed reports whether a page of origin may use the transports.
func (o Origins) Allowed(origin string) bool {
	if o.set[strings.ToLower(origin)] {
		return true
	}
	if !o.dev {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// CheckWebsocket allows an upgrade without an Origin header (not a
// browser: the token is what authenticates), from the server's own
// origin, or from an allowed one. Browsers do not apply CORS to
// websockets: this is the only check.
func (o Origins) CheckWebsocket(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" (a sandboxed page, a file) among others
	}
	return strings.EqualFold(u.Host, r.Host) || o.Allowed(origin)
}
