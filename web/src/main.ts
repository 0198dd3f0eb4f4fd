// The live classroom page: a teacher opens a pulse and sees the answers
// arrive; a student answers a pulse by id. No framework: a few elements
// wired by hand, every operation typed by the generated documents.
import './style.css';
import { ApiError, execute } from './api';
import { createEventSourceClient } from './eventsource';
import {
  type ConnectionState,
  type LiveClient,
  type PulseEvent,
  PulseFeed,
  type Transport,
  createLiveClient,
} from './live';
import { createSSEClient } from './sse';
import {
  ClosePulseMutation,
  CreatePulseMutation,
  PulseQuery,
  RespondToPulseMutation,
  ViewerQuery,
} from './operations';
import { fetchDevTokens, fragmentParams, initialToken, readClaims, saveToken, setFragment } from './token';

type View = 'teacher' | 'student';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const statusEl = $('status');
const tokenInput = $<HTMLInputElement>('token-input');

let token = initialToken();
const transports: Record<Transport, typeof createLiveClient> = {
  websocket: createLiveClient,
  sse: createSSEClient,
  eventsource: createEventSourceClient,
};
let transport: Transport = 'websocket';
let live: LiveClient | undefined;
let feed: PulseFeed | undefined;

// --- connection status ------------------------------------------------------

const stateLabel: Record<ConnectionState, string> = {
  idle: 'not subscribed',
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  rejected: 'token refused',
};

function showState(state: ConnectionState, detail?: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = stateLabel[state];
  statusEl.title = detail ?? '';
  statusEl.dataset.reconnects = String(live?.reconnects ?? 0);
  updateFeedInfo();
}

function liveClient(): LiveClient {
  if (!live) {
    // A disposed client may still report its closing: only the current
    // one sets the status.
    const client: LiveClient = transports[transport](() => token, {
      onState: (state, detail) => {
        if (live === client) showState(state, detail);
      },
    });
    live = client;
  }
  return live;
}

/** Switches the live transport; a pulse being watched is followed again over it. */
function useTransport(next: Transport): void {
  transport = next;
  $<HTMLSelectElement>('transport').value = next;
  const params = fragmentParams();
  if (next === 'websocket') params.delete('transport');
  else params.set('transport', next);
  setFragment(params);
  const watching = feed;
  feed?.stop();
  feed = undefined;
  live?.dispose();
  live = undefined;
  showState('idle');
  if (watching) void watchExisting(watching.pulseId);
}

$('transport').addEventListener('change', (e) => {
  const value = (e.target as HTMLSelectElement).value;
  if (value in transports) useTransport(value as Transport);
});

// --- token ------------------------------------------------------------------

async function useToken(next: string, chooseView = true): Promise<void> {
  token = next.trim();
  saveToken(token);
  tokenInput.value = token;
  // A new token is only sent in a new connection_init: start afresh.
  const watching = feed;
  feed?.stop();
  feed = undefined;
  live?.dispose();
  live = undefined;
  showState('idle');

  const whoami = $('whoami');
  if (!token) {
    whoami.textContent = 'No token yet.';
    return;
  }
  const claims = readClaims(token);
  const role = claims?.role?.toLowerCase();
  if (chooseView && role === 'student') selectView('student');
  else if (chooseView && (role === 'teacher' || role === 'admin')) selectView('teacher');
  try {
    const { viewer } = await execute(token, ViewerQuery);
    whoami.textContent = `Signed in as ${viewer.role.toLowerCase()} ${viewer.id}` +
      (claims?.exp ? ` · token valid until ${new Date(claims.exp * 1000).toLocaleString()}` : '');
    whoami.className = 'muted';
    if (watching && viewer.role !== 'STUDENT') void watchExisting(watching.pulseId);
  } catch (err) {
    whoami.textContent = err instanceof ApiError && err.code === 'UNAUTHENTICATED'
      ? 'The server refused this token (expired, or signed with another secret): get a new one.'
      : `Could not check the token: ${String(err instanceof Error ? err.message : err)}`;
    whoami.className = 'error';
  }
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void useToken(tokenInput.value);
});

async function offerDevTokens(): Promise<void> {
  const tokens = await fetchDevTokens();
  if (!tokens.length) return;
  const box = $('dev-tokens');
  for (const t of tokens) {
    const b = el('button', { type: 'button', 'data-testid': `dev-token-${t.role}` }, `Use ${t.role} token`);
    b.addEventListener('click', () => void useToken(t.token));
    box.append(b);
  }
  box.hidden = false;
  if (!token) await useToken(tokens[0]!.token);
}

// --- views ------------------------------------------------------------------

function selectView(view: View): void {
  $('teacher-view').hidden = view !== 'teacher';
  $('student-view').hidden = view !== 'student';
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
    b.setAttribute('aria-pressed', String(b.dataset.view === view));
  }
  const params = fragmentParams();
  params.set('view', view);
  setFragment(params);
}

for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
  b.addEventListener('click', () => selectView(b.dataset.view as View));
}

// --- teacher ----------------------------------------------------------------

const answersEl = $('answers');
let answerCount = 0;

function teacherError(message: string): void {
  $('teacher-error').textContent = message;
}

function updateFeedInfo(): void {
  const info = $('feed-info');
  if (!feed) {
    info.textContent = '';
    return;
  }
  const reconnects = live?.reconnects ?? 0;
  info.dataset.reconnects = String(reconnects);
  info.dataset.repeats = String(feed.repeatsDropped);
  info.dataset.lastCursor = feed.lastCursor ?? '';
  info.dataset.transport = live?.transport ?? transport;
  info.textContent = reconnects ? `reconnected ${reconnects}× and resumed from the last event seen` : '';
}

function setCount(n: number): void {
  answerCount = n;
  $('answer-count').textContent = String(n);
  $('answer-label').textContent = n === 1 ? 'answer' : 'answers';
  $('empty-hint').hidden = n > 0;
}

function showEvent(event: PulseEvent): void {
  const p = event.payload;
  if (p.__typename === 'LearningPulseResponded') {
    const r = p.response;
    const meta = [`student ${p.studentId.slice(0, 8)}`];
    if (r?.confidence) meta.push(`confidence ${r.confidence}/5`);
    if (r) meta.push(new Date(r.createdAt).toLocaleTimeString());
    answersEl.append(
      el('li', { 'data-testid': 'answer', 'data-event-id': event.id, 'data-version': String(event.version) },
        el('span', { class: 'answer-text' }, r ? r.answer : '(answer not visible to you)'),
        el('span', { class: 'muted' }, meta.join(' · '))),
    );
    setCount(answerCount + 1);
  } else if (event.type === 'LEARNING_PULSE_CLOSED') {
    markClosed();
  }
  updateFeedInfo();
}

function markClosed(): void {
  const btn = $<HTMLButtonElement>('close-pulse');
  btn.disabled = true;
  btn.textContent = 'Closed';
  $('pulse-card').dataset.closed = 'true';
}

/** Shows a pulse and follows its events from `after` (null: from now on). */
function watch(pulseId: string, title: string, after: string | null, closed: boolean): void {
  feed?.stop();
  teacherError('');
  answersEl.replaceChildren();
  setCount(0);
  $('pulse-title-view').textContent = title;
  $('pulse-id').textContent = pulseId;
  $<HTMLAnchorElement>('student-link').href = `#view=student&pulse=${encodeURIComponent(pulseId)}`;
  const card = $('pulse-card');
  card.hidden = false;
  delete card.dataset.closed;
  const btn = $<HTMLButtonElement>('close-pulse');
  btn.disabled = false;
  btn.textContent = 'Close pulse';
  if (closed) markClosed();

  const params = fragmentParams();
  params.set('pulse', pulseId);
  setFragment(params);

  feed = new PulseFeed(liveClient().subscriber, pulseId, after, {
    onEvent: showEvent,
    onError: (message, code) => {
      teacherError(
        code === 'FORBIDDEN' || code === 'UNAUTHENTICATED'
          ? 'The server refused the token: paste a new one and watch again.'
          : message,
      );
    },
  });
  feed.start();
}

async function watchExisting(pulseId: string): Promise<void> {
  try {
    const { pulse } = await execute(token, PulseQuery, { id: pulseId });
    if (!pulse) {
      teacherError('No such pulse (or not visible to you).');
      return;
    }
    // Resume from the pulse's first event (its creation): the server
    // replays every answer given since, then continues live.
    watch(pulse.id, pulse.title, pulse.events.edges[0]?.cursor ?? null, pulse.closedAt != null);
  } catch (err) {
    teacherError(err instanceof Error ? err.message : String(err));
  }
}

$('create-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void (async () => {
    const title = $<HTMLInputElement>('pulse-title').value;
    try {
      const { createPulse } = await execute(token, CreatePulseMutation, { input: { title } });
      // Subscribe from the creation event's cursor: an answer given between
      // the mutation and the subscription is replayed, not lost.
      watch(createPulse.pulse.id, createPulse.pulse.title, createPulse.event.cursor, false);
    } catch (err) {
      teacherError(err instanceof Error ? err.message : String(err));
    }
  })();
});

$('watch-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $<HTMLInputElement>('watch-id').value.trim();
  if (id) void watchExisting(id);
});

$('close-pulse').addEventListener('click', () => {
  if (!feed) return;
  const pulseId = feed.pulseId;
  void execute(token, ClosePulseMutation, { input: { pulseId } }).catch((err: unknown) =>
    teacherError(err instanceof Error ? err.message : String(err)),
  );
});

// --- student ----------------------------------------------------------------

const studentMessages: Record<string, string> = {
  CONFLICT: 'Not recorded: you have already answered this pulse, or it is closed.',
  NOT_FOUND: 'Not recorded: there is no such pulse.',
  FORBIDDEN: 'Not recorded: only a student token can answer a pulse.',
  UNAUTHENTICATED: 'Not recorded: the server refused the token; get a new one.',
  RATE_LIMITED: 'Not recorded: too many requests; try again in a moment.',
};

async function showPulseTitle(): Promise<void> {
  const id = $<HTMLInputElement>('answer-pulse').value.trim();
  const out = $('answer-pulse-title');
  out.textContent = '';
  if (!id || !token) return;
  try {
    const { pulse } = await execute(token, PulseQuery, { id });
    out.textContent = pulse ? `“${pulse.title}”${pulse.closedAt ? ' (closed)' : ''}` : 'No such pulse.';
  } catch {
    // The answer's own error says more.
  }
}

$('answer-pulse').addEventListener('change', () => void showPulseTitle());

$('answer-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void (async () => {
    const result = $('answer-result');
    const error = $('student-error');
    result.textContent = '';
    error.textContent = '';
    const confidence = $<HTMLSelectElement>('answer-confidence').value;
    try {
      const { respondToPulse } = await execute(token, RespondToPulseMutation, {
        input: {
          pulseId: $<HTMLInputElement>('answer-pulse').value.trim(),
          answer: $<HTMLTextAreaElement>('answer-text').value,
          confidence: confidence ? Number(confidence) : null,
        },
      });
      result.textContent = `Answer recorded at ${new Date(respondToPulse.response.createdAt).toLocaleTimeString()}.`;
      $<HTMLTextAreaElement>('answer-text').value = '';
    } catch (err) {
      error.textContent = err instanceof ApiError
        ? (studentMessages[err.code] ?? err.message) + (err.code === 'BAD_USER_INPUT' ? ` (${err.message})` : '')
        : String(err);
    }
  })();
});

// --- start ------------------------------------------------------------------

function start(): void {
  const params = fragmentParams();
  const pulse = params.get('pulse');
  if (pulse) {
    $<HTMLInputElement>('answer-pulse').value = pulse;
    $<HTMLInputElement>('watch-id').value = pulse;
  }
  selectView(params.get('view') === 'student' ? 'student' : 'teacher');
  const t = params.get('transport');
  if (t && t in transports) {
    transport = t as Transport;
    $<HTMLSelectElement>('transport').value = t;
  }
  tokenInput.value = token;
  showState('idle');
  void (async () => {
    if (token) await useToken(token, !params.has('view'));
    await offerDevTokens();
    const claims = readClaims(token);
    if (pulse && token && claims?.role !== 'student' && params.get('view') !== 'student') {
      await watchExisting(pulse);
    } else if (pulse) {
      void showPulseTitle();
    }
  })();
}

start();
