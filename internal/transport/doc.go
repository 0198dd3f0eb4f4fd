// Package transport carries GraphQL operations over the live transports of
// the contract (§1) for gqlgen's executor: the websocket subprotocols
// graphql-transport-ws (the graphql-ws library's) and the legacy
// graphql-ws (subscriptions-transport-ws), GraphQL over Server-Sent Events
// (the graphql-sse protocol, "distinct connections" mode), and GraphQL
// over HTTP's POST, which refuses a subscription. Each is a
// graphql.Transport: gqlgen keeps the schema, the executor and the
// resolvers, operations run through the GraphExecutor it hands a
// transport, and every handler extension (limits, persisted documents,
// rate limits, shared renderings) applies as over HTTP. No code here reads
// gqlgen's unexported types.
//
// One engine under both live transports:
//
//   - one per-operation state, liveop.Op, put in every operation's context
//     by the transport that runs it: the resolvers read the resume cursor
//     (SSE's Last-Event-ID) and whether delivery is pushed, and tell the
//     transport when an event is ready (push), the cursor of each result
//     (SSE's id:), the shared JSON of a rendering (written into every frame
//     as the same bytes), and the error that ends a subscription (an
//     `error` message, never followed by `complete`);
//   - one Registry of live connections, websockets and event streams, that
//     a shutdown closes at once (1012; streams end without `complete`);
//   - one origin allow-list (Origins), shared with the HTTP layer's CORS;
//     one notion of which requests are whose (WebsocketRequested,
//     SSERequested), shared with the per-address connection cap; one set
//     of error-with-code helpers and write timeout.
//
// Websocket connections are cheap when idle: one goroutine each (the
// reader), no goroutine per operation. A subscription that attaches to
// push delivery tells the transport when it has something to hand out; the
// transport then calls the operation's response handler from a small
// shared pool of workers, and the call returns at once. Frames go out
// through a per-connection queue drained by the same pool; keep-alives,
// the initialisation timeout and token expiry run on one clock per
// transport. An event stream runs its one operation on its request's
// goroutine; its heart-beat is a timer.
//
// The files, top to bottom:
//
//   - request.go: what both transports share at the edge: which requests
//     are whose, the origin allow-list, the write timeout;
//   - errors.go: the contract's codes and errors the transports give
//     themselves;
//   - registry.go: the live connections, for shutdown;
//   - post.go: POST, refusing a subscription at once (400);
//   - sse.go: GraphQL over SSE, one request, one operation, one stream;
//   - websocket.go: the websocket upgrade and its options;
//   - wsconn.go: a connection's lifecycle and the client's messages;
//   - wsoperation.go: operations, push or pull delivery, their end;
//   - wsdelivery.go: frames and writes;
//   - pool.go, clock.go: the shared workers and the one clock.
package transport
