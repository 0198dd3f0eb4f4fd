// The page's one piece of shared state: the token, the live transport
// chosen, and the live client made from both. Views read it and subscribe
// to its changes; nothing else is module-level.
import { createEventSourceClient } from './eventsource';
import { type ConnectionState, type LiveClient, type Transport, createLiveClient } from './live';
import { createSSEClient } from './sse';

const clients: Record<Transport, typeof createLiveClient> = {
  websocket: createLiveClient,
  sse: createSSEClient,
  eventsource: createEventSourceClient,
};

export function isTransport(v: string | null): v is Transport {
  return v !== null && v in clients;
}

export interface SessionListener {
  /** The token or the transport changed: live subscriptions must start again. */
  onReset(): void;
  /** The live client's connection state. */
  onConnection(state: ConnectionState, detail?: string): void;
}

export class Session {
  private live: LiveClient | undefined;
  private readonly listeners = new Set<SessionListener>();

  constructor(
    private tokenValue: string,
    private transportValue: Transport = 'websocket',
  ) {}

  get token(): string {
    return this.tokenValue;
  }

  get transport(): Transport {
    return this.transportValue;
  }

  /** Completed reconnections of the current live client. */
  get reconnects(): number {
    return this.live?.reconnects ?? 0;
  }

  listen(l: SessionListener): void {
    this.listeners.add(l);
  }

  /** The live client, made on first use with the current token and transport. */
  liveClient(): LiveClient {
    if (!this.live) {
      // A disposed client may still report its closing: only the current
      // one speaks for the session.
      const client: LiveClient = clients[this.transportValue](() => this.tokenValue, {
        onState: (state, detail) => {
          if (this.live === client) for (const l of this.listeners) l.onConnection(state, detail);
        },
      });
      this.live = client;
    }
    return this.live;
  }

  /** A new token is only sent on a new connection: everything starts afresh. */
  setToken(token: string): void {
    this.tokenValue = token.trim();
    this.reset();
  }

  setTransport(transport: Transport): void {
    this.transportValue = transport;
    this.reset();
  }

  private reset(): void {
    // Views stop their feeds first, then the client goes.
    for (const l of this.listeners) l.onReset();
    this.live?.dispose();
    this.live = undefined;
    for (const l of this.listeners) l.onConnection('idle');
  }
}
