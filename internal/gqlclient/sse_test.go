package gqlclient

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The stream's events as the benchmark counts them: comments skipped, an
// event's data lines joined, the event id found in the data.
func TestSSERead(t *testing.T) {
	t.Parallel()
	const id = "0b7d5c86-3f55-4f0e-9a51-2b1f0c2f6b6a"
	body := ":\n\nevent: next\nid: ZTE6\ndata: {\"data\":{\"pulseEvents\":{\"id\":\"" + id + "\",\n" +
		"data: \"type\":\"X\"}}}\n\n:\n\nevent: complete\ndata:\n\n"
	s := &SSE{body: io.NopCloser(strings.NewReader(body))}
	var got []Message
	require.NoError(t, s.Read(func(m Message) {
		m.Raw = append([]byte(nil), m.Raw...)
		got = append(got, m)
	}))
	require.Len(t, got, 2)
	require.Equal(t, "next", got[0].Type)
	require.Equal(t, "s1", got[0].ID)
	require.Equal(t, id, got[0].EventID)
	require.Equal(t, "{\"data\":{\"pulseEvents\":{\"id\":\""+id+"\",\n\"type\":\"X\"}}}", string(got[0].Raw)) //nolint:testifylint // the data lines joined as the protocol says, byte for byte
	require.Equal(t, "complete", got[1].Type)
}
