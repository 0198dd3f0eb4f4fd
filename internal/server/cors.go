package server

import (
	"net/http"

	"github.com/rs/cors"

	"github.com/edupulse/edupulse-live/internal/transport"
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
	return cors.New(cors.Options{
		// The same allow-list as the websocket's origin check.
		AllowOriginFunc: transport.NewOrigins(allowed, dev).Allowed,
		AllowedMethods:  []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:  []string{"Authorization", "Content-Type", "Accept", "Last-Event-ID", CorrelationHeader, "traceparent", "tracestate"},
		ExposedHeaders:  []string{CorrelationHeader},
		MaxAge:          corsMaxAge,
	})
}
