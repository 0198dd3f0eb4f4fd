package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/logging"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel, cfg.LogFormat)
	logger.Info("starting", "config", cfg.String())
	stopTracing, err := tracing.Setup(ctx, getenv)
	if err != nil {
		return err
	}
	defer func() {
		// Flush the spans still buffered; a collector that is away costs
		// the shutdown at most this long.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(fctx); err != nil {
			logger.Warn("tracing: flushing spans at exit failed", "err", err)
		}
	}()
	logger.Info("tracing", "enabled", tracing.Enabled())

	reg := newRegistry()
	in, err := startInstance(ctx, cfg, logger, reg)
	if err != nil {
		return err
	}
	defer in.close()
	devTokens := in.devTokens
	handler := in.handler
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(in.closeLive)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("EDUPULSE_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "edupulse: listening on %s (playground at %s/)\n", url, url)
	if devTokens != nil {
		fmt.Fprintln(stdout, "edupulse: development mode (EDUPULSE_JWT_SECRET unset); tokens valid 24h:")
		for _, role := range []string{"teacher", "student", "admin"} {
			fmt.Fprintf(stdout, "  %-8s %s\n", role, devTokens[role])
		}
	}
	logger.Info("listening", "addr", ln.Addr().String(), "dev_mode", cfg.DevMode())
	if cfg.AdminAddr != "" {
		stop, err := serveAdmin(cfg.AdminAddr, in.admin, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, logger)
		if err != nil {
			return err
		}
		defer stop()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var failure error
	select {
	case err := <-served:
		return err
	case failure = <-in.Failed():
	case <-ctx.Done():
	}
	logger.Info("shutting down", "drain_period", cfg.DrainPeriod.String())
	// Readiness fails first, while the listener still serves: the load
	// balancer moves new requests elsewhere before anything is refused.
	in.drain(context.Background(), cfg.DrainPeriod)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Stop taking requests and finish the ones in flight; websockets are
	// hijacked, so Shutdown does not see them: closeLive (registered
	// above) closes them with 1012, and is waited for here.
	err = srv.Shutdown(shutdownCtx)
	in.closeLive()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(failure, fmt.Errorf("shutdown: %w", err))
	}
	return failure
}

// identity returns the token verifier and, in development mode, a token
// per role. The development secret is random but kept in the data dir, so
// that printed tokens (and the dev users' ids) survive a restart.
func identity(ctx context.Context, cfg config.Config, logger *slog.Logger) (*auth.Tokens, map[string]string, error) {
	if !cfg.DevMode() {
		opts := []auth.Option{auth.WithMaxTTL(cfg.JWTMaxTTL), auth.WithIssuer(cfg.JWTIssuer),
			auth.WithAudience(cfg.JWTAudience), auth.WithRoleClaim(cfg.JWTRoleClaim)}
		if cfg.JWKSURL != "" {
			keys, err := auth.NewKeySet(ctx, cfg.JWKSURL, auth.KeySetOptions{Logger: logger})
			if err != nil {
				return nil, nil, err
			}
			opts = append(opts, auth.WithKeySet(keys))
		}
		t, err := auth.NewTokens([]byte(cfg.JWTSecret), opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("EDUPULSE_JWT_SECRET / EDUPULSE_JWKS_URL: %w", err)
		}
		return t, nil, nil
	}
	secret, err := devSecret(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	t, err := auth.NewTokens(secret, auth.WithMaxTTL(cfg.JWTMaxTTL))
	if err != nil {
		return nil, nil, err
	}
	// The printed tokens live a day, or the maximum when it is shorter.
	devTTL := min(24*time.Hour, cfg.JWTMaxTTL)
	dev := map[string]string{}
	for _, role := range []auth.Role{auth.RoleTeacher, auth.RoleStudent, auth.RoleAdmin} {
		id := uuid.NewSHA1(uuid.NameSpaceOID, append(append([]byte{}, secret...), role...))
		tok, err := t.Issue(auth.Actor{ID: id, Role: role}, devTTL)
		if err != nil {
			return nil, nil, err
		}
		dev[string(role)] = tok
	}
	return t, dev, nil
}

func devSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "dev-jwt-secret")
	if raw, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(raw)); len(s) >= config.MinSecretBytes {
			return []byte(s), nil
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(buf)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("EDUPULSE_DATA_DIR: %w", err)
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write development secret: %w", err)
	}
	return []byte(s), nil
}

// newRegistry is the registry /metrics serves: the runtime's and the
// process's collectors, to which the instance adds its own.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
