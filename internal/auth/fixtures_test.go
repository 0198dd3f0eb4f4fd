package auth_test

import (
	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// The cast of the permission and visibility matrices. The pulse, quiz,
// badge and payment of the events all belong to student and teacher; the
// "other" ones are the same role without that tie.
var (
	student      = auth.Actor{ID: uuid.MustParse("50000000-0000-4000-8000-000000000001"), Role: auth.RoleStudent}
	otherStudent = auth.Actor{ID: uuid.MustParse("50000000-0000-4000-8000-000000000002"), Role: auth.RoleStudent}
	teacher      = auth.Actor{ID: uuid.MustParse("7e000000-0000-4000-8000-000000000001"), Role: auth.RoleTeacher}
	otherTeacher = auth.Actor{ID: uuid.MustParse("7e000000-0000-4000-8000-000000000002"), Role: auth.RoleTeacher}
	admin        = auth.Actor{ID: uuid.MustParse("ad000000-0000-4000-8000-000000000001"), Role: auth.RoleAdmin}
	otherAdmin   = auth.Actor{ID: uuid.MustParse("ad000000-0000-4000-8000-000000000002"), Role: auth.RoleAdmin}
	// Invalid actors: never allowed anything, whatever id they carry.
	noRole   = auth.Actor{ID: teacher.ID}
	badRole  = auth.Actor{ID: admin.ID, Role: "root"}
	nilAdmin = auth.Actor{Role: auth.RoleAdmin}
	zero     = auth.Actor{}
)

type named struct {
	name  string
	actor auth.Actor
}

var cast = []named{
	{"student", student}, {"otherStudent", otherStudent},
	{"teacher", teacher}, {"otherTeacher", otherTeacher},
	{"admin", admin}, {"otherAdmin", otherAdmin},
	{"noRole", noRole}, {"badRole", badRole}, {"nilAdmin", nilAdmin}, {"zero", zero},
}

// set is a set of cast names, for the expected columns of the matrices.
func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}
