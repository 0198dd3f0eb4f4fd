package event

import (
	"math"
	"testing"
)

// Expected strings are what serde_json (ryu) prints for these f32 values.
func TestAppendF32MatchesRyu(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   float32
		want string
	}{
		{0, "0.0"},
		{float32(math.Copysign(0, -1)), "-0.0"},
		{90, "90.0"},
		{100, "100.0"},
		{87.5, "87.5"},
		{0.1, "0.1"},
		{33.333332, "33.333332"},
		{100.0 / 3, "33.333332"},
		{123456.7, "123456.7"},
		{0.00001, "0.00001"},
		{0.000001, "0.000001"},
		{1e-7, "1e-7"},
		{1.5e-7, "1.5e-7"},
		{1e12, "1000000000000.0"},
		{1e13, "1e13"},
		{1.5e20, "1.5e20"},
		{-2.25, "-2.25"},
	}
	for _, c := range cases {
		if got := string(appendF32(nil, c.in)); got != c.want {
			t.Errorf("appendF32(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
