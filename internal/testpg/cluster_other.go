//go:build !unix

package testpg

import (
	"errors"
	"os"
	"os/exec"
)

var errUnsupported = errors.New("throwaway clusters are only started on unix systems; set TEST_DATABASE_URL")

type credential struct{}

func runAs() (*credential, error)       { return nil, errUnsupported }
func (*credential) own(...string) error { return errUnsupported }
func (*credential) apply(*exec.Cmd)     {}
func signalQuit(p *os.Process) error    { return p.Kill() }
func processAlive(int) bool             { return true }
func startChild(*exec.Cmd, chan<- struct{}) (*os.Process, error) {
	return nil, errUnsupported
}
