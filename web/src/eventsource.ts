// The plainest live client: a browser's own EventSource on
// GET /query?query=…&variables=…&access_token=… (contract §1, §2, §5).
//
//   - EventSource cannot send headers, so the token travels as the
//     access_token query parameter (RFC 6750 §2.3), accepted on event-stream
//     GETs only and kept out of the server's logs.
//   - Each `next` of an Event carries the event's cursor as its SSE id.
//     When the stream breaks, EventSource reconnects by itself and sends
//     Last-Event-ID: the server resumes after it, with no gap and no
//     duplicate; nothing here has to remember a cursor.
//   - A stream that ends with `complete` must be closed here: EventSource
//     would otherwise request it again.
//   - A refused request (401: the token expired or invalid) fails the
//     EventSource for good (readyState CLOSED): only a new token helps.
//
// The example in a few lines (what this file wraps):
//
//   const url = new URL('/query', location.href);
//   url.searchParams.set('query', 'subscription($p: UUID!) { pulseEvents(pulseId: $p) { id cursor type } }');
//   url.searchParams.set('variables', JSON.stringify({ p: pulseId }));
//   url.searchParams.set('access_token', token);
//   const es = new EventSource(url);
//   es.addEventListener('next', (e) => show(JSON.parse(e.data).data.pulseEvents));
//   es.addEventListener('complete', () => es.close());
import { httpURL } from './api';
import { type LiveClient, type LiveClientHooks, type LivePayload, type LiveSink, LiveError } from './live';

/** The GET URL of a payload, with the token as access_token. */
export function eventSourceURL(payload: LivePayload, token: string): string {
  const url = new URL(httpURL);
  if (payload.query) url.searchParams.set('query', payload.query);
  if (payload.variables) url.searchParams.set('variables', JSON.stringify(payload.variables));
  if (payload.extensions) url.searchParams.set('extensions', JSON.stringify(payload.extensions));
  url.searchParams.set('access_token', token);
  return url.toString();
}

export function createEventSourceClient(getToken: () => string, hooks: LiveClientHooks): LiveClient {
  let reconnects = 0;
  const open = new Set<EventSource>();

  function subscribe<T>(payload: LivePayload, sink: LiveSink<T>): () => void {
    const es = new EventSource(eventSourceURL(payload, getToken()));
    open.add(es);
    let opened = 0;
    const close = () => {
      es.close();
      open.delete(es);
    };
    hooks.onState('connecting');
    es.onopen = () => {
      if (opened++ > 0) reconnects++;
      hooks.onState('live');
    };
    es.addEventListener('next', (e) => {
      let result: { data?: T | null; errors?: unknown[] };
      try {
        result = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        return;
      }
      sink.next(result);
    });
    es.addEventListener('complete', () => {
      close();
      sink.complete();
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // Refused (a status other than 200): EventSource gives up.
        close();
        hooks.onState('rejected', 'the server refused the request (token expired or invalid?)');
        sink.error(new LiveError('the server refused the event stream: the token may have expired', 'FORBIDDEN'));
      } else {
        // Reconnecting by itself, with Last-Event-ID.
        hooks.onState('reconnecting', 'connection lost');
      }
    };
    return close;
  }

  return {
    transport: 'eventsource',
    subscriber: { subscribe },
    get reconnects() {
      return reconnects;
    },
    dispose: () => {
      for (const es of open) es.close();
      open.clear();
      hooks.onState('idle');
    },
  };
}
