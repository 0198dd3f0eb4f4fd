//go:build !unix

package datadir

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// tryLock: no advisory lock here; one process per data directory is then
// the operator's to ensure.
func tryLock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
