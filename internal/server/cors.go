package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// corsMaxAge lets a browser reuse a preflight's answer for ten minutes
// instead of sending one before every request.
const corsMaxAge = 600

// corsFor answers cross-origin requests to /query from the allowed
// origins (and, in development, from any loopback origin, where front-end
// dev servers run): preflights are answered, and actual responses carry
// Access-Control-Allow-Origin echoing the origin. Any other origin gets
// no CORS header at all, so the browser keeps the response from its page.
func corsFor(allowed []string, dev bool) *cors.Cors {
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		set[strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))] = true
	}
	return cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool {
			if set[strings.ToLower(origin)] {
				return true
			}
			return dev && isLoopbackOrigin(origin)
		},
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "Last-Event-ID", CorrelationHeader, "traceparent", "tracestate"},
		ExposedHeaders: []string{CorrelationHeader},
		MaxAge:         corsMaxAge,
	})
}

func isLoopbackOrigin(origin string) bool {
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
