package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Role is what a caller is allowed to be. The strings are those of the JWT
// `role` claim.
type Role string

// The roles of the contract (§2, Identity). There are no others: a token naming any
// other role is rejected.
const (
	RoleStudent Role = "student"
	RoleTeacher Role = "teacher"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, for tests and command-line help.
var Roles = []Role{RoleStudent, RoleTeacher, RoleAdmin}

// Valid reports whether r is one of the three roles. The comparison is exact
// (case-sensitive) because the claim is written by this code, never by hand.
func (r Role) Valid() bool {
	switch r {
	case RoleStudent, RoleTeacher, RoleAdmin:
		return true
	}
	return false
}

// ParseRole turns a user-supplied role name (the `token --role` flag) into a
// Role, or explains why it cannot.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want %s, %s or %s", s, RoleStudent, RoleTeacher, RoleAdmin)
}

// Actor is an authenticated caller: the token's `sub` and `role`. The actor
// of every event written is the caller's ID (contract §2, Identity).
type Actor struct {
	ID   uuid.UUID
	Role Role
}

// Valid reports whether a could be an authenticated caller: a known role and
// a non-nil ID. The nil UUID is refused because it is also the "nobody" value
// of every optional id in this code base (an unresolved pulse teacher, an
// event without actor): an actor with that id would match them all.
func (a Actor) Valid() bool { return a.Role.Valid() && a.ID != uuid.Nil }

// IsAdmin reports whether a is a valid admin. Like IsTeacher and IsStudent,
// it is false for an invalid Actor, so that a half-built Actor never passes a
// role check.
func (a Actor) IsAdmin() bool { return a.Valid() && a.Role == RoleAdmin }

// IsTeacher reports whether a is a valid teacher.
func (a Actor) IsTeacher() bool { return a.Valid() && a.Role == RoleTeacher }

// IsStudent reports whether a is a valid student.
func (a Actor) IsStudent() bool { return a.Valid() && a.Role == RoleStudent }

// is reports whether a is the actor with the given id. A nil id is nobody.
func (a Actor) is(id uuid.UUID) bool { return a.Valid() && id != uuid.Nil && a.ID == id }

// actorKey is unexported so that only this package can put an Actor into a
// context: nothing else can forge an authenticated caller by accident.
type actorKey struct{}

// WithActor returns a copy of ctx that carries a as the authenticated caller.
// The HTTP and websocket layers call it once the token is verified.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the authenticated caller carried by ctx. ok is false when
// there is none, or when what is there is not a valid Actor: a context is
// only ever "authenticated" by a caller that could pass the permission checks.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	if !ok || !a.Valid() {
		return Actor{}, false
	}
	return a, true
}
