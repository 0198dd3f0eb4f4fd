// The live classroom page: a teacher opens a pulse and watches the class
// answer (a live dashboard and the latest answers); a student answers a
// pulse by id. No framework: a few elements wired by hand, every operation
// typed by the generated documents. The state lives in a Session (token,
// transport, live client) and one object per view.
import './style.css';
import { ApiError, execute } from './api';
import { $, el } from './dom';
import type { ConnectionState } from './live';
import { ViewerQuery } from './operations';
import { Session, isTransport } from './session';
import { StudentView } from './student';
import { TeacherView } from './teacher';
import { fetchDevTokens, fragmentParams, initialToken, readClaims, saveToken, setFragment } from './token';

type View = 'teacher' | 'student';

const firstToken = initialToken(); // (removes the token from the address first)
const params = fragmentParams();
const askedTransport = params.get('transport');
const session = new Session(firstToken, isTransport(askedTransport) ? askedTransport : 'websocket');
const teacher = new TeacherView(session);
const student = new StudentView(session);
const tokenInput = $<HTMLInputElement>('token-input');

// --- connection status ------------------------------------------------------

const stateLabel: Record<ConnectionState, string> = {
  idle: 'not subscribed',
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  rejected: 'token refused',
};

function showConnection(state: ConnectionState, detail?: string): void {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = stateLabel[state];
  status.title = detail ?? '';
  status.dataset.reconnects = String(session.reconnects);
}

session.listen({ onReset: () => {}, onConnection: showConnection });

// --- transport --------------------------------------------------------------

const transportSelect = $<HTMLSelectElement>('transport');
transportSelect.value = session.transport;
transportSelect.addEventListener('change', () => {
  const next = transportSelect.value;
  if (!isTransport(next)) return;
  const p = fragmentParams();
  if (next === 'websocket') p.delete('transport');
  else p.set('transport', next);
  setFragment(p);
  // What was followed is followed again over the new transport.
  const watching = teacher.pulseId;
  session.setTransport(next);
  if (watching) void teacher.watchExisting(watching);
  if (currentView() === 'student') student.follow();
});

// --- token ------------------------------------------------------------------

async function useToken(next: string, chooseView = true): Promise<void> {
  const watching = teacher.pulseId;
  session.setToken(next);
  const token = session.token;
  saveToken(token);
  tokenInput.value = token;

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
    if (watching && viewer.role !== 'STUDENT') void teacher.watchExisting(watching);
    if (currentView() === 'student') student.follow();
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
  if (!session.token) await useToken(tokens[0]!.token);
}

// --- views ------------------------------------------------------------------

function currentView(): View {
  return $('student-view').hidden ? 'teacher' : 'student';
}

function selectView(view: View): void {
  $('teacher-view').hidden = view !== 'teacher';
  $('student-view').hidden = view !== 'student';
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
    b.setAttribute('aria-pressed', String(b.dataset.view === view));
  }
  const p = fragmentParams();
  p.set('view', view);
  setFragment(p);
}

for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
  b.addEventListener('click', () => selectView(b.dataset.view as View));
}

// --- start ------------------------------------------------------------------

function start(): void {
  const pulse = params.get('pulse');
  if (pulse) {
    $<HTMLInputElement>('answer-pulse').value = pulse;
    $<HTMLInputElement>('watch-id').value = pulse;
  }
  selectView(params.get('view') === 'student' ? 'student' : 'teacher');
  tokenInput.value = session.token;
  showConnection('idle');
  void (async () => {
    if (session.token) await useToken(session.token, !params.has('view'));
    await offerDevTokens();
    const claims = readClaims(session.token);
    if (pulse && session.token && claims?.role !== 'student' && params.get('view') !== 'student') {
      await teacher.watchExisting(pulse);
    }
  })();
}

start();
