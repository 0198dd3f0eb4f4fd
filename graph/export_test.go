package graph

// SlowFrames counts the outgoing websocket messages that were not
// recognised as gqlgen's protocol messages (see wsframe.go).
func SlowFrames() int64 { return slowFrames.Load() }
