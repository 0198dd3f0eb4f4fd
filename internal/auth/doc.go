// Package auth owns who the caller is and what the caller may do and see:
//
//   - identity: the Actor (a UUID and a Role) and how it travels in a
//     context.Context;
//   - tokens: issuing and verifying the HS256 JWTs of the contract (§2, Identity), and
//     reading them out of an "Authorization: Bearer …" header;
//   - permissions: one predicate per operation of the contract's §3 (Who may do what) table
//     (CanCreatePulse, CanClosePulse, …);
//   - visibility: which events and pulse responses a caller may see
//     (Audience, CanSee, CanSeeResponse).
//
// Every resolver, query and subscription asks this package rather than
// testing roles itself, so that the rules of §3 (Who may do what) live in exactly one place and
// a change to them is one change, tested once, over the whole matrix.
//
// The package does no I/O beyond the cryptography of the tokens. Where a rule
// needs a fact that only storage knows (the teacher of a pulse, which a
// LearningPulseResponded payload does not carry) the caller supplies it.
//
// Every predicate fails closed: a zero or otherwise invalid Actor (unknown
// role, nil id) may do nothing and sees nothing, and an event kind this
// package does not know is visible to admins only.
package auth
