package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/config"
)

// tokenFlags declares token's flags on fs and returns the command.
func tokenFlags(fs *flag.FlagSet) func(context.Context, func(string) string, io.Writer, io.Writer) error {
	sub := fs.String("sub", "", "the actor's UUID")
	role := fs.String("role", "", "student, teacher or admin")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	return func(_ context.Context, getenv func(string) string, stdout, _ io.Writer) error {
		return token(*sub, *role, *ttl, config.Only(getenv, tokenVars...), stdout)
	}
}

func token(sub, role string, ttl time.Duration, getenv func(string) string, stdout io.Writer) error {
	secret := getenv("EDUPULSE_JWT_SECRET")
	if secret == "" {
		return errors.New("EDUPULSE_JWT_SECRET is not set (in development mode the server prints tokens at start)")
	}
	id, err := uuid.Parse(sub)
	if err != nil {
		return fmt.Errorf("--sub must be a UUID: %w", err)
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens([]byte(secret), auth.WithMaxTTL(cfg.JWTMaxTTL))
	if err != nil {
		return fmt.Errorf("EDUPULSE_JWT_SECRET: %w", err)
	}
	tok, err := tokens.Issue(auth.Actor{ID: id, Role: r}, ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
