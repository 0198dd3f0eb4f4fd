package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// gqlError is a failed GraphQL request, with what decides a retry.
type gqlError struct {
	Status    int    // HTTP status; 0 when the request never got an answer
	Code      string // extensions.code of the first error
	Msg       string
	Transport bool // connection refused, reset, timed out
}

func (e *gqlError) Error() string {
	switch {
	case e.Transport:
		return "transport: " + e.Msg
	case e.Code != "":
		return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg)
	default:
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Msg)
	}
}

// retriable: the server (or the path to it) failed, not the request. The
// same idempotency key makes the retry safe even if the first attempt
// committed.
func (e *gqlError) retriable() bool {
	return e.Transport || e.Status >= 500 || e.Code == "INTERNAL_SERVER_ERROR" || e.Code == "RATE_LIMITED"
}

// class is the error without its variable parts, for counting.
func (e *gqlError) class() string {
	switch {
	case e.Transport:
		return "no answer (connection refused, reset or timed out)"
	case e.Code != "":
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
	default:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
}

func postGraphQL(ctx context.Context, hc *http.Client, baseURL, token, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return &gqlError{Transport: true, Msg: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return &gqlError{Transport: true, Status: resp.StatusCode, Msg: err.Error()}
	}
	var env struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return &gqlError{Status: resp.StatusCode, Msg: firstLine(string(raw))}
	}
	if len(env.Errors) > 0 {
		return &gqlError{Status: resp.StatusCode, Code: env.Errors[0].Extensions.Code, Msg: env.Errors[0].Message}
	}
	if resp.StatusCode != http.StatusOK {
		return &gqlError{Status: resp.StatusCode, Msg: firstLine(string(raw))}
	}
	return json.Unmarshal(env.Data, out)
}

// actor is a user of the run with a token for it.
type actor struct {
	id    string
	token string
}

func newActors(tokens *auth.Tokens, role auth.Role, n int, ttl time.Duration) ([]actor, error) {
	out := make([]actor, n)
	for i := range out {
		id := uuid.New()
		tok, err := tokens.Issue(auth.Actor{ID: id, Role: role}, ttl)
		if err != nil {
			return nil, err
		}
		out[i] = actor{id: id.String(), token: tok}
	}
	return out, nil
}
