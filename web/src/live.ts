// Live subscriptions, with the reconnect-and-resume logic the contract's §5
// makes possible. Three transports give the same Subscriber: graphql-ws
// (protocol graphql-transport-ws, here), graphql-sse (src/sse.ts) and a
// plain EventSource (src/eventsource.ts). Over the websocket:
//
//   - the client reconnects on its own after a dropped connection (1006),
//     a server restart (1012) or a missed pong, with a short capped backoff;
//     it never retries 4403 (token missing, expired or invalid): a new
//     token is needed, and retrying would only be refused again;
//   - every resubscription carries `after` = the last Event.cursor seen, so
//     the server replays what was missed and nothing twice;
//   - events are de-duplicated by id all the same (belt and braces);
//   - an `error` with extensions.code SLOW_CONSUMER ends the subscription
//     server-side: it is started again from extensions.lastCursor.
import { createClient } from 'graphql-ws';
import { type GraphQLErrorShape, describeErrors, errorCode, wsURL } from './api';
import { PERSISTED_QUERY_NOT_FOUND, documentRef, sentByHash, serverWantsTexts } from './documents';
import {
  PulseEventsDocument,
  type PulseEventsSubscription,
  type PulseEventsSubscriptionVariables,
  type TypedDocumentString,
} from './gql/graphql';

/** 4403: the server refused the token (contract §2). Never retried. */
export const CLOSE_FORBIDDEN = 4403;
/** 4408: our own close when a pong is overdue: the connection is dead. */
const CLOSE_PONG_TIMEOUT = 4408;

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'rejected';

export interface LiveClientHooks {
  onState(state: ConnectionState, detail?: string): void;
}

/** What a subscription is sent as: a document by text or by hash (src/documents.ts). */
export interface LivePayload {
  query: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

/** One result of a subscription, or its errors. */
export interface LiveResult<T> {
  data?: T | null;
  errors?: readonly unknown[];
}

export interface LiveSink<T> {
  next(result: LiveResult<T>): void;
  /** The server's errors (an array), a close event, or another failure. */
  error(err: unknown): void;
  complete(): void;
}

/**
 * Starts a subscription; returns its unsubscribe. The transport resends
 * `payload` (read afresh) when it reconnects on its own, so a caller that
 * updates `payload.variables` in place resumes from where it was.
 */
export interface Subscriber {
  subscribe<T>(payload: LivePayload, sink: LiveSink<T>): () => void;
}

export type Transport = 'websocket' | 'sse' | 'eventsource';

export interface LiveClient {
  readonly transport: Transport;
  subscriber: Subscriber;
  /** Completed reconnections since the client was made. */
  readonly reconnects: number;
  dispose(): void;
}

interface CloseLike {
  code: number;
  reason?: string;
}

export function isCloseEvent(e: unknown): e is CloseLike {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as CloseLike).code === 'number';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A graphql-ws client for this page's server, authenticated with the token
 * in connection_init ({Authorization: 'Bearer …'}), which is read at every
 * (re)connection so that a new token is used from the next one on.
 */
export function createLiveClient(getToken: () => string, hooks: LiveClientHooks): LiveClient {
  let reconnects = 0;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let currentSocket: WebSocket | undefined;
  const client = createClient({
    url: wsURL,
    connectionParams: () => ({ Authorization: `Bearer ${getToken()}` }),
    lazy: true,
    // Keep the socket for a moment after the last subscription ends, so
    // that a quick resubscribe (SLOW_CONSUMER) reuses it.
    lazyCloseTimeout: 3000,
    // A classroom page keeps trying for as long as it is open.
    retryAttempts: Infinity,
    // 4403 means the token is refused: only a new token helps. Everything
    // else (1006 abnormal closure, 1012 service restart, 1001 going away,
    // our 4408 pong timeout, connection errors) is worth another try.
    shouldRetry: (errOrClose) => !(isCloseEvent(errOrClose) && errOrClose.code === CLOSE_FORBIDDEN),
    // 0.3 s, 0.6 s, 1.2 s, 2.4 s, then every 3 s, plus jitter so that a
    // restarted server is not hit by every page at the same instant.
    retryWait: async (retries) => {
      await sleep(backoff(retries));
    },
    // Our ping every 10 s; a pong missing for 5 s means the connection is
    // dead even if no close was seen (a cable pulled, a laptop lid closed):
    // close it so that the client reconnects and resumes.
    keepAlive: 10_000,
    on: {
      connecting: (isRetry) => hooks.onState(isRetry ? 'reconnecting' : 'connecting'),
      connected: (_socket, _payload, wasRetry) => {
        if (wasRetry) reconnects++;
        hooks.onState('live');
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          if (currentSocket?.readyState === WebSocket.OPEN) {
            currentSocket.close(CLOSE_PONG_TIMEOUT, 'pong timeout');
          }
        }, 5_000);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      opened: (socket) => {
        currentSocket = socket as WebSocket;
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        currentSocket = undefined;
        if (isCloseEvent(event) && event.code === CLOSE_FORBIDDEN) {
          hooks.onState('rejected', 'the server refused the token (4403): get a new one');
        } else if (isCloseEvent(event) && event.code === 1000) {
          hooks.onState('idle');
        } else {
          const code = isCloseEvent(event) ? ` (${event.code})` : '';
          hooks.onState('reconnecting', `connection lost${code}`);
        }
      },
    },
  });
  return {
    transport: 'websocket',
    subscriber: client,
    get reconnects() {
      return reconnects;
    },
    dispose: () => void client.dispose(),
  };
}

/** A failure a transport reports with a code of the contract's (FORBIDDEN: the token refused). */
export class LiveError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'LiveError';
  }
}

export const backoff = (retries: number) => Math.min(300 * 2 ** retries, 3000) + Math.random() * 300;

/** Hands a transport's failure (not the server's errors) to onError with a code. */
function reportFailure(err: unknown, onError: (message: string, code: string) => void): void {
  if (isCloseEvent(err)) {
    const code = err.code === CLOSE_FORBIDDEN ? 'FORBIDDEN' : `CLOSE_${err.code}`;
    onError(`connection closed (${err.code}${err.reason ? ': ' + err.reason : ''})`, code);
  } else if (err instanceof LiveError) {
    onError(err.message, err.code);
  } else {
    onError(String(err), 'UNKNOWN');
  }
}

export type PulseEvent = PulseEventsSubscription['pulseEvents'];

export interface PulseFeedHandlers {
  /** Each event of the pulse, exactly once, in the order written. */
  onEvent(event: PulseEvent): void;
  /** The subscription has ended with an error that resubscribing cannot fix. */
  onError(message: string, code: string): void;
}

/**
 * One pulse's live events, resumable: pulseEvents(pulseId, after) where
 * `after` is always the cursor of the last event handed to onEvent.
 */
export class PulseFeed {
  /**
   * The ids of the last SEEN_MAX events, oldest first (a Set keeps insertion
   * order), so that a page open all day holds a bounded set. The server
   * sends none twice, and a resubscription resumes after the last cursor:
   * a repeat, if any, would be a recent event.
   */
  private readonly seen = new Set<string>();
  static readonly SEEN_MAX = 1000;
  private cursor: string | null;
  private variables: PulseEventsSubscriptionVariables | undefined;
  private byHash = false;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** Events received twice and dropped (the server promises none). */
  repeatsDropped = 0;
  /** Subscriptions restarted after SLOW_CONSUMER. */
  slowConsumerRestarts = 0;

  constructor(
    private readonly client: Subscriber,
    readonly pulseId: string,
    after: string | null,
    private readonly handlers: PulseFeedHandlers,
  ) {
    this.cursor = after;
  }

  /** The cursor a resubscription would resume from. */
  get lastCursor(): string | null {
    return this.cursor;
  }

  start(): void {
    this.stopped = false;
    // graphql-ws keeps this payload and sends it again, serialised afresh,
    // each time it resubscribes after a reconnect; `after` is updated in
    // place below with every event, so a resubscription always resumes
    // from the last cursor seen rather than from where we first started.
    const variables: PulseEventsSubscriptionVariables = { pulseId: this.pulseId, after: this.cursor };
    this.variables = variables;
    // By hash (the query left empty, contract §9) or by text.
    const ref = documentRef(PulseEventsDocument);
    this.byHash = sentByHash(ref);
    this.unsubscribe = this.client.subscribe<PulseEventsSubscription>(
      { query: ref.query ?? '', extensions: ref.extensions, variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) {
            this.fail(result.errors as GraphQLErrorShape[]);
            return;
          }
          if (result.data) this.accept(result.data.pulseEvents);
        },
        error: (err) => {
          if (Array.isArray(err)) this.fail(err as GraphQLErrorShape[]);
          else reportFailure(err, this.handlers.onError);
        },
        complete: () => {},
      },
    );
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private accept(event: PulseEvent): void {
    if (this.seen.has(event.id)) {
      this.repeatsDropped++;
      return;
    }
    this.seen.add(event.id);
    if (this.seen.size > PulseFeed.SEEN_MAX) {
      this.seen.delete(this.seen.values().next().value as string);
    }
    this.cursor = event.cursor;
    if (this.variables) this.variables.after = event.cursor;
    this.handlers.onEvent(event);
  }

  private fail(errors: GraphQLErrorShape[]): void {
    const code = errorCode(errors);
    if (code === PERSISTED_QUERY_NOT_FOUND && this.byHash && !this.stopped) {
      // A server without trusted documents: send the text instead.
      serverWantsTexts();
      this.unsubscribe = undefined;
      this.start();
      return;
    }
    if (code === 'SLOW_CONSUMER' && !this.stopped) {
      // The server ended this subscription because we fell behind; nothing
      // is lost: start again from the last cursor it delivered.
      const last = errors.find((e) => e.extensions?.code === 'SLOW_CONSUMER')?.extensions?.lastCursor;
      if (typeof last === 'string' && last !== '') this.cursor = last;
      this.slowConsumerRestarts++;
      this.unsubscribe = undefined;
      this.start();
      return;
    }
    this.handlers.onError(describeErrors(errors), code);
  }
}

export interface StateFeedHandlers<T> {
  /** The latest state; never one older than a state already handed over. */
  onState(state: T): void;
  onError(message: string, code: string): void;
}

/**
 * A subscription whose every message is the whole state (pulseState): no
 * cursor to resume from, since after a reconnection the first message is
 * the state as it stands.
 */
export class StateFeed<TResult, TVariables extends object> {
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private byHash = false;
  /** States received. */
  states = 0;

  constructor(
    private readonly client: Subscriber,
    private readonly document: TypedDocumentString<TResult, TVariables>,
    private readonly variables: TVariables,
    private readonly handlers: StateFeedHandlers<TResult>,
  ) {}

  start(): void {
    this.stopped = false;
    const ref = documentRef(this.document);
    this.byHash = sentByHash(ref);
    this.unsubscribe = this.client.subscribe<TResult>(
      { query: ref.query ?? '', extensions: ref.extensions, variables: { ...this.variables } as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) this.fail(result.errors as GraphQLErrorShape[]);
          else if (result.data) {
            this.states++;
            this.handlers.onState(result.data);
          }
        },
        error: (err) => {
          if (Array.isArray(err)) this.fail(err as GraphQLErrorShape[]);
          else reportFailure(err, this.handlers.onError);
        },
        complete: () => {},
      },
    );
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private fail(errors: GraphQLErrorShape[]): void {
    const code = errorCode(errors);
    if (code === PERSISTED_QUERY_NOT_FOUND && this.byHash && !this.stopped) {
      serverWantsTexts();
      this.unsubscribe = undefined;
      this.start();
      return;
    }
    this.handlers.onError(describeErrors(errors), code);
  }
}
