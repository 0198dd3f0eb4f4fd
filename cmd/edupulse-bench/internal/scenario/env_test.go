package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseFanout(t *testing.T) {
	t.Parallel()
	cs, err := ParseFanout("1000x20, 10000x2,5x0.5")
	assert.NoError(t, err)
	assert.Equal(t, []FanoutCase{{1000, 20}, {10000, 2}, {5, 0.5}}, cs)
	assert.Equal(t, "1000 subs × 20 ev/s", cs[0].String())
	assert.Equal(t, int64(50), cs[0].TargetP99().Milliseconds())
	assert.Equal(t, int64(250), cs[1].TargetP99().Milliseconds())
	for _, bad := range []string{"1000", "x2", "0x1", "10x0", "10x-1"} {
		_, err := ParseFanout(bad)
		assert.Error(t, err, bad)
	}
}
