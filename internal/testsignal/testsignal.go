// Package testsignal lets tests wait for what a component does in its own
// goroutines, at no cost in production: a Signal's zero value drops what
// it is sent, and only a test that calls Init receives it.
package testsignal

import "time"

// capacity is how many values a test may leave unread before Signal
// reports a failure (it never blocks the component).
const capacity = 1024

// Timeout bounds WaitOrTimeout.
const Timeout = 30 * time.Second

// TB is the part of testing.TB a Signal uses (so that production code
// does not link package testing).
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Signal carries values of T from a component to a test.
type Signal[T any] struct {
	ch chan T
	tb TB
}

// Init turns s on. Only tests call it, before the component starts.
func (s *Signal[T]) Init(tb TB) {
	s.ch = make(chan T, capacity)
	s.tb = tb
}

// Signal sends v to the test, if one is listening; it never blocks.
func (s *Signal[T]) Signal(v T) {
	if s.ch == nil {
		return
	}
	select {
	case s.ch <- v:
	default:
		s.tb.Errorf("testsignal: %d values unread", capacity)
	}
}

// C is the channel the values arrive on.
func (s *Signal[T]) C() <-chan T {
	if s.ch == nil {
		panic("testsignal: not initialised (Init is for tests)")
	}
	return s.ch
}

// WaitOrTimeout returns the next value, or fails the test after Timeout.
func (s *Signal[T]) WaitOrTimeout() T {
	s.tb.Helper()
	select {
	case v := <-s.C():
		return v
	case <-time.After(Timeout):
		s.tb.Fatalf("testsignal: nothing signalled within %s", Timeout)
	}
	var zero T
	return zero
}
