// Package backoff is the one retry delay of the service: exponential with
// jitter, so that many instances retrying after the same outage spread out.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Backoff draws each delay from [d/2, d], d doubling from Min up to Max. It
// is not safe for concurrent use: each retry loop owns one.
type Backoff struct {
	min, max, cur time.Duration
}

// New returns a Backoff starting at minDelay.
func New(minDelay, maxDelay time.Duration) *Backoff {
	return &Backoff{min: minDelay, max: max(maxDelay, minDelay), cur: minDelay}
}

// Next is the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	d := b.cur
	b.cur = min(2*b.cur, b.max)
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter needs no cryptographic randomness
}

// Reset starts again from the minimum, after a success.
func (b *Backoff) Reset() { b.cur = b.min }
