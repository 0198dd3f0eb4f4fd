// Live subscriptions over Server-Sent Events with the graphql-sse client
// (distinct connections mode: one POST /query with Accept:
// text/event-stream per subscription), for networks whose proxies break
// websockets.
//
//   - The token goes in the Authorization header, read at each request.
//   - A stream that breaks (a lost network, a server restart, which ends
//     streams without `complete`) is requested again after a short capped
//     backoff, forever; the request body is serialised afresh each time,
//     so the `after` that PulseFeed keeps up to date resumes it.
//   - A 401 (the token refused) is not retried: only a new token helps.
//   - What the server refuses, or ends (SLOW_CONSUMER, an expired token),
//     arrives as a `next` carrying errors, which PulseFeed handles as over
//     the websocket.
import { createClient } from 'graphql-sse';
import { httpURL } from './api';
import { type LiveClient, type LiveClientHooks, LiveError, backoff } from './live';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSSEClient(getToken: () => string, hooks: LiveClientHooks): LiveClient {
  let reconnects = 0;
  let lastStatus = 0;
  const client = createClient({
    url: httpURL,
    headers: () => ({ Authorization: `Bearer ${getToken()}` }),
    retryAttempts: Infinity,
    // Called before each new attempt, once the stream has broken: a
    // refused token ends the subscription (the error reaches its sink).
    retry: async (retries) => {
      if (lastStatus === 401 || lastStatus === 403) {
        hooks.onState('rejected', `the server refused the token (${lastStatus}): get a new one`);
        throw new LiveError('the server refused the token', 'FORBIDDEN');
      }
      hooks.onState('reconnecting', lastStatus ? `HTTP ${lastStatus}` : 'connection lost');
      await sleep(backoff(retries));
    },
    fetchFn: async (input: RequestInfo | URL, init?: RequestInit) => {
      lastStatus = 0;
      const res = await fetch(input, init);
      lastStatus = res.ok ? 0 : res.status;
      return res;
    },
    on: {
      connecting: (reconnecting) => hooks.onState(reconnecting ? 'reconnecting' : 'connecting'),
      connected: (reconnected) => {
        if (reconnected) reconnects++;
        hooks.onState('live');
      },
    },
  });
  return {
    transport: 'sse',
    subscriber: {
      subscribe: (payload, sink) =>
        client.subscribe(payload, {
          next: (result) => sink.next(result as Parameters<typeof sink.next>[0]),
          error: (err) => sink.error(err),
          complete: () => sink.complete(),
        }),
    },
    get reconnects() {
      return reconnects;
    },
    dispose: () => client.dispose(),
  };
}
