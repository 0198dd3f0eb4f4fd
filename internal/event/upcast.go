package event

import (
	"encoding/json"
	"fmt"
)

// An upcaster rewrites the data of one kind from schema version N to N+1.
// When a payload's shape changes, bump CurrentSchemaVersion and register
// the step here keyed by the version it upgrades from; old bodies in the
// store and the stream then decode into today's types.
type upcaster func(Type, json.RawMessage) (json.RawMessage, error)

var upcasters = map[uint16]upcaster{}

func upcast(t Type, from uint16, data json.RawMessage) (json.RawMessage, uint16, error) {
	if from == 0 || from > CurrentSchemaVersion {
		return nil, 0, fmt.Errorf("unsupported schema_version %d (this build reads 1..%d)", from, CurrentSchemaVersion)
	}
	for v := from; v < CurrentSchemaVersion; v++ {
		step, ok := upcasters[v]
		if !ok {
			return nil, 0, fmt.Errorf("no upcaster from schema_version %d", v)
		}
		var err error
		if data, err = step(t, data); err != nil {
			return nil, 0, fmt.Errorf("upcast %s from schema_version %d: %w", t, v, err)
		}
	}
	return data, CurrentSchemaVersion, nil
}
