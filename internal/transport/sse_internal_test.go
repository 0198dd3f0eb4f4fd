package transport

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A line break in the payload (none in gqlgen's JSON, but a field of SSE
// cannot hold one) continues on a new data: line, which clients join back
// with "\n".
func TestSSEAppendDataSplitsLines(t *testing.T) {
	t.Parallel()
	got := sseAppendData(nil, []byte(`{"data":`), []byte("{\"a\":\n1}"), []byte("}"))
	require.Equal(t, "data: {\"data\":{\"a\":\ndata: 1}}\n", string(got))
	require.Equal(t, "data: x\n", string(sseAppendData(nil, []byte("x"))))
}
