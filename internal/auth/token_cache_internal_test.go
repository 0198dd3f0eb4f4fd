package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// A token verified once is answered from memory until it expires, then
// refused like any expired token; a token differing by one byte of its
// signature is never taken for it.
func TestVerifiedTokensExpire(t *testing.T) {
	tokens, err := NewTokens([]byte(strings.Repeat("k", MinSecretLen)))
	require.NoError(t, err)
	now := time.Now()
	tokens.now = func() time.Time { return now }
	actor := Actor{ID: uuid.New(), Role: RoleTeacher}
	tok, err := tokens.Issue(actor, time.Minute)
	require.NoError(t, err)

	for range 2 {
		got, _, err := tokens.Verify(tok)
		require.NoError(t, err)
		require.Equal(t, actor, got)
	}
	require.Len(t, tokens.verified, 1, "remembered")

	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	_, _, err = tokens.Verify(forged)
	require.ErrorIs(t, err, ErrUnauthenticated)

	now = now.Add(time.Minute + Leeway + time.Second)
	_, _, err = tokens.Verify(tok)
	require.ErrorIs(t, err, ErrUnauthenticated, "expired, remembered or not")
	require.Empty(t, tokens.verified)
}
