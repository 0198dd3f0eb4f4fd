package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Key set refreshes (contract §2, Identity): on a schedule, and when a token names
// a kid the set does not hold (a key rotated in), never more often than
// once per KeySetMinInterval, so that tokens with made-up kids cannot make
// us hammer the provider.
const (
	KeySetRefresh     = 5 * time.Minute
	KeySetMinInterval = 10 * time.Second
	keySetHTTPTimeout = 5 * time.Second
)

// KeySetOptions tune NewKeySet; zero values take the defaults above.
type KeySetOptions struct {
	Refresh time.Duration
	Client  *http.Client
	Logger  *slog.Logger
}

// NewKeySet fetches the identity provider's JWKS at url and keeps it
// fresh until ctx ends. A provider that is down at start does not stop
// the service: its tokens are refused until the set arrives.
func NewKeySet(ctx context.Context, url string, o KeySetOptions) (jwt.Keyfunc, error) {
	if o.Refresh <= 0 {
		o.Refresh = KeySetRefresh
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger.With("component", "jwks")
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{url}, keyfunc.Override{
		Client:            o.Client,
		HTTPTimeout:       keySetHTTPTimeout,
		RefreshInterval:   o.Refresh,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(KeySetMinInterval), 1),
		// Wait for nothing: a token with an unknown kid is refused at
		// once rather than held while the limiter allows a refresh.
		RateLimitWaitMax: time.Millisecond,
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.WarnContext(ctx, "identity provider key set refresh failed", "err", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("EDUPULSE_JWKS_URL: %w", err)
	}
	return kf.Keyfunc, nil
}
