package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

const pulseStateSub = `subscription($p: UUID!) { pulseState(id: $p) {
	id responseCount confidenceCounts closedAt
	responses(first: 100) { edges { node { studentId answer confidence } } } } }`

type stateMsg struct {
	ID               string
	ResponseCount    int
	ConfidenceCounts []int
	ClosedAt         *string
	Responses        struct {
		Edges []struct {
			Node struct {
				StudentID, Answer string
				Confidence        *int
			}
		}
	}
}

// state reads the next pulseState message of subscription id.
func (c *wsClient) state(id string) stateMsg {
	c.t.Helper()
	m, err := c.read()
	require.NoError(c.t, err)
	require.Equal(c.t, id, m.ID)
	require.Equal(c.t, "next", m.Type, string(m.Payload))
	var p struct {
		Data   struct{ PulseState stateMsg }
		Errors []json.RawMessage
	}
	require.NoError(c.t, json.Unmarshal(m.Payload, &p))
	require.Empty(c.t, p.Errors, string(m.Payload))
	return p.Data.PulseState
}

// stateUntil reads states until one has at least n responses (or is
// closed, with closed set), checking they only move forward.
func (c *wsClient) stateUntil(id string, n int, closed bool) stateMsg {
	c.t.Helper()
	last := -1
	for {
		s := c.state(id)
		require.GreaterOrEqual(c.t, s.ResponseCount, last, "a state older than one already sent")
		last = s.ResponseCount
		if s.ResponseCount >= n && (!closed || s.ClosedAt != nil) {
			return s
		}
	}
}

// TestPulseStateEndToEnd: over a real websocket, on both stores, every
// viewer gets the same counts and its own view of the responses; a
// student's answer is in the next state once the mutation answered; an
// unknown pulse is NOT_FOUND in a `next`, then `complete`.
func TestPulseStateEndToEnd(t *testing.T) {
	t.Parallel()
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(*testing.T) string { return "" },
		"postgres": func(t *testing.T) string { return testpg.Database(t, postgres.Migrate) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNode(t, t.TempDir(), db(t), "")
			pulse := createPulse(t, n)

			alice, bob := newStudent(), newStudent()
			otherTeacher := auth.Actor{ID: alice.ID, Role: auth.RoleTeacher}
			otherTeacher.ID[0] ^= 0xff
			viewers := map[string]auth.Actor{"teacher": teacherA, "alice": alice, "bob": bob, "other": otherTeacher,
				"admin": {ID: otherTeacher.ID, Role: auth.RoleAdmin}}
			clients := map[string]*wsClient{}
			for name, a := range viewers {
				c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, a))
				require.NoError(t, err)
				c.ack()
				c.subscribe(name, pulseStateSub, map[string]any{"p": pulse})
				first := c.state(name)
				require.Equal(t, pulse, first.ID)
				require.Equal(t, 0, first.ResponseCount)
				require.Equal(t, []int{0, 0, 0, 0, 0}, first.ConfidenceCounts)
				clients[name] = c
			}

			answer := func(a auth.Actor, text string, confidence int) {
				n.gql(t, a, `mutation($p: UUID!, $a: String!, $c: Int) {
					respondToPulse(input: {pulseId: $p, answer: $a, confidence: $c}) { response { id } } }`,
					map[string]any{"p": pulse, "a": text, "c": confidence}, nil)
			}
			answer(alice, "alice's", 4)
			// Read-your-write: alice's next state includes her answer.
			s := clients["alice"].state("alice")
			require.Equal(t, 1, s.ResponseCount)
			answer(bob, "bob's", 2)
			for i := range 8 {
				answer(newStudent(), fmt.Sprint("more ", i), i%5+1)
			}
			n.gql(t, teacherA, `mutation($p: UUID!) { closePulse(input: {pulseId: $p}) { pulse { id } } }`,
				map[string]any{"p": pulse}, nil)

			counts := []int{2, 3, 2, 2, 1} // alice 4, bob 2, then 1 2 3 4 5 1 2 3
			for name, c := range clients {
				s := c.stateUntil(name, 10, true)
				require.Equal(t, 10, s.ResponseCount, name)
				require.Equal(t, counts, s.ConfidenceCounts, "%s: counts cover every response", name)
				var answers []string
				for _, e := range s.Responses.Edges {
					answers = append(answers, e.Node.Answer)
				}
				switch name {
				case "teacher", "admin":
					require.Len(t, answers, 10, name)
				case "alice":
					require.Equal(t, []string{"alice's"}, answers)
				case "bob":
					require.Equal(t, []string{"bob's"}, answers)
				case "other":
					require.Empty(t, answers, "a colleague sees no response")
				}
			}

			// An unknown pulse: NOT_FOUND while executing, then complete.
			c := clients["alice"]
			c.subscribe("missing", pulseStateSub, map[string]any{"p": "00000000-0000-4000-8000-000000000000"})
			m, err := c.read()
			require.NoError(t, err)
			require.Equal(t, "next", m.Type, string(m.Payload))
			require.Contains(t, string(m.Payload), `"NOT_FOUND"`)
			m, err = c.read()
			require.NoError(t, err)
			require.Equal(t, "complete", m.Type)
		})
	}
}

// TestPulseStateSlowReaderIsConflated: a subscriber that stops reading
// while a class answers is not cut off; when it reads again it gets the
// states in order, ending with the latest, and fewer of them than answers
// once the socket's buffers are full.
func TestPulseStateSlowReaderIsConflated(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)
	c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	c.ack()
	// A large selection, so that a few states fill the socket's buffers.
	c.subscribe("s", `subscription($p: UUID!) { pulseState(id: $p) { responseCount
		responses(first: 100) { edges { node { id studentId answer confidence createdAt pulseId } } } } }`,
		map[string]any{"p": pulse})
	require.Equal(t, 0, c.state("s").ResponseCount)

	const answers = 100
	long := strings.Repeat("x", 1500)
	for i := range answers {
		n.gql(t, newStudent(), respondDoc, map[string]any{"p": pulse, "a": fmt.Sprint(i, long)}, nil)
	}
	// The slow reader's point: states pile up while it does not read. A
	// pause stands for a reader busy elsewhere.
	time.Sleep(200 * time.Millisecond)
	got := 0
	last := 0
	for last < answers {
		s := c.state("s")
		require.GreaterOrEqual(t, s.ResponseCount, last)
		last = s.ResponseCount
		got++
	}
	require.Less(t, got, answers, "states were skipped, not queued")
}

// TestPulseStatePushedWithoutAGoroutineEach: pulseState subscribers are
// delivered by push like event subscriptions: a connection waiting for the
// next state holds its reader goroutine and nothing more, and every one
// still receives the state after an answer.
func TestPulseStatePushedWithoutAGoroutineEach(t *testing.T) {
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)
	const conns = 100
	settle := func() int {
		last := -1
		for range 50 {
			// Goroutines that end signal nothing: wait until the count holds.
			time.Sleep(20 * time.Millisecond)
			g := runtime.NumGoroutine()
			if g == last {
				return g
			}
			last = g
		}
		return last
	}
	before := settle()
	clients := make([]*wsClient, conns)
	for i := range clients {
		c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
		require.NoError(t, err)
		c.ack()
		c.subscribe("s", pulseStateSub, map[string]any{"p": pulse})
		require.Equal(t, 0, c.state("s").ResponseCount)
		clients[i] = c
	}
	// The test's own client goroutines are not the server's: only the
	// dialled connections' readers (one each, in this process too) count.
	perConn := float64(settle()-before) / conns
	t.Logf("goroutines per subscribed connection, server and test client together: %.2f", perConn)
	// One for the server's reader, plus what the test client's connection
	// costs in this process (gorilla's client holds none of its own).
	require.LessOrEqual(t, perConn, 1.2, "a pulseState subscription parks no goroutine of its own")

	n.gql(t, newStudent(), `mutation($p: UUID!) { respondToPulse(input: {pulseId: $p, answer: "a", confidence: 3}) { response { id } } }`,
		map[string]any{"p": pulse}, nil)
	for _, c := range clients {
		require.Equal(t, 1, c.stateUntil("s", 1, false).ResponseCount)
	}
}
