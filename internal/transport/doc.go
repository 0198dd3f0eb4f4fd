// Package transport carries GraphQL operations over live connections for
// gqlgen's executor: the websocket subprotocols graphql-transport-ws (the
// graphql-ws library's) and the legacy graphql-ws (subscriptions-transport-
// ws), each as its protocol document says. gqlgen keeps the schema, the
// executor and the resolvers; operations run through the GraphExecutor it
// hands a graphql.Transport, so every handler extension (limits, persisted
// documents, rate limits, shared renderings) applies as over HTTP.
//
// Connections are cheap when idle: one goroutine each (the reader), no
// goroutine per operation. A subscription whose resolver takes the Push
// hook from its context tells the transport when it has something to hand
// out; the transport then calls the operation's response handler from a
// small shared pool of workers, and the call returns at once. Frames go out
// through a per-connection queue drained by the same pool; keep-alives,
// the initialisation timeout and token expiry run on one clock per
// transport. A response rendered once for many subscribers (ShareEncoded)
// is written into every frame as the same bytes.
//
// The websocket files read in protocol order: websocket.go (the upgrade),
// wsconn.go (a connection's lifecycle and the client's messages),
// wsoperation.go (operations), wsdelivery.go (frames and writes).
package transport
