package auth_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
)

func TestRoleValidAndParse(t *testing.T) {
	t.Parallel()
	for _, r := range auth.Roles {
		require.True(t, r.Valid())
		got, err := auth.ParseRole(string(r))
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	for _, s := range []string{"", "Admin", "TEACHER", "root", " student"} {
		require.False(t, auth.Role(s).Valid(), "%q", s)
		_, err := auth.ParseRole(s)
		require.Error(t, err, "%q", s)
	}
}

func TestActorValid(t *testing.T) {
	t.Parallel()
	require.True(t, auth.Actor{ID: uuid.New(), Role: auth.RoleStudent}.Valid())
	require.False(t, auth.Actor{}.Valid())
	require.False(t, auth.Actor{Role: auth.RoleAdmin}.Valid(), "nil id")
	require.False(t, auth.Actor{ID: uuid.New(), Role: "root"}.Valid())
	require.False(t, auth.Actor{ID: uuid.New()}.IsAdmin())
	require.False(t, auth.Actor{Role: auth.RoleAdmin}.IsAdmin(), "an invalid actor has no role")
}

func TestContext(t *testing.T) {
	t.Parallel()
	_, ok := auth.ActorFrom(context.Background())
	require.False(t, ok)

	a := auth.Actor{ID: uuid.New(), Role: auth.RoleTeacher}
	got, ok := auth.ActorFrom(auth.WithActor(context.Background(), a))
	require.True(t, ok)
	require.Equal(t, a, got)

	// An invalid actor in a context does not make it authenticated.
	_, ok = auth.ActorFrom(auth.WithActor(context.Background(), auth.Actor{Role: auth.RoleAdmin}))
	require.False(t, ok)

	// A value of the same shape under another key is not an actor.
	type otherKey struct{}
	_, ok = auth.ActorFrom(context.WithValue(context.Background(), otherKey{}, a))
	require.False(t, ok)
}
