package storetest

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/store"
)

// TestEveryMethodIsExercised: a method added to the store port without
// cases here fails this, not a backend in production.
func TestEveryMethodIsExercised(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, m := range methods {
		require.NotEmpty(t, m.cases, m.name)
		covered[m.name] = true
	}
	for prefix, port := range map[string]reflect.Type{
		"":        reflect.TypeFor[store.Store](),
		"Tx.":     reflect.TypeFor[store.Tx](),
		"Outbox.": reflect.TypeFor[store.Outbox](),
	} {
		for i := range port.NumMethod() {
			name := prefix + port.Method(i).Name
			require.True(t, covered[name], "%s has no conformance cases", name)
		}
	}
}
