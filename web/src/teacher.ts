// The teacher's view: opens or watches a pulse; a live dashboard of its
// state (pulseState: the count, the confidence histogram, open or closed)
// and the latest answers as they arrive (pulseEvents, resumed by cursor).
import { execute } from './api';
import { $, el, errorText } from './dom';
import type { PulseDashboardSubscription, PulseDashboardSubscriptionVariables } from './gql/graphql';
import { type PulseEvent, PulseFeed, StateFeed } from './live';
import {
  ClosePulseMutation,
  CreatePulseMutation,
  PulseDashboardSubscription as PulseDashboardDocument,
  PulseQuery,
} from './operations';
import type { Session } from './session';
import { fragmentParams, setFragment } from './token';

type PulseState = PulseDashboardSubscription['pulseState'];

/** The answers listed: the latest ones (the count covers all). */
const LATEST_MAX = 50;

export class TeacherView {
  private feed: PulseFeed | undefined;
  private stateFeed: StateFeed<PulseDashboardSubscription, PulseDashboardSubscriptionVariables> | undefined;
  private readonly answers = $('answers');
  private readonly rows: { progress: HTMLProgressElement; count: HTMLElement }[] = [];
  private shown = 0;

  constructor(private readonly session: Session) {
    const body = $('histogram-rows');
    for (let c = 1; c <= 5; c++) {
      const progress = el('progress', { max: '1', value: '0', 'aria-label': `confidence ${c}` });
      const count = el('td', { class: 'n', 'data-testid': `confidence-${c}` }, '0');
      body.append(el('tr', {}, el('th', { scope: 'row' }, String(c)), el('td', { class: 'bar' }, progress), count));
      this.rows.push({ progress, count });
    }
    session.listen({
      onReset: () => this.stop(),
      onConnection: () => this.updateInfo(),
    });

    $('create-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.create($<HTMLInputElement>('pulse-title').value);
    });
    $('watch-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const id = $<HTMLInputElement>('watch-id').value.trim();
      if (id) void this.watchExisting(id);
    });
    $('close-pulse').addEventListener('click', () => {
      if (!this.feed) return;
      const pulseId = this.feed.pulseId;
      void execute(this.session.token, ClosePulseMutation, { input: { pulseId } }).catch((err: unknown) =>
        this.error(errorText(err)),
      );
    });
  }

  /** The pulse being watched, if any. */
  get pulseId(): string | undefined {
    return this.feed?.pulseId;
  }

  async create(title: string): Promise<void> {
    try {
      const { createPulse } = await execute(this.session.token, CreatePulseMutation, { input: { title } });
      // Subscribe from the creation event's cursor: an answer given between
      // the mutation and the subscription is replayed, not lost.
      this.watch(createPulse.pulse.id, createPulse.pulse.title, createPulse.event.cursor, false);
    } catch (err) {
      this.error(errorText(err));
    }
  }

  async watchExisting(pulseId: string): Promise<void> {
    try {
      const { pulse } = await execute(this.session.token, PulseQuery, { id: pulseId });
      if (!pulse) {
        this.error('No such pulse (or not visible to you).');
        return;
      }
      // Resume from the pulse's first event (its creation): the server
      // replays every answer given so far, then continues live.
      this.watch(pulse.id, pulse.title, pulse.events.edges[0]?.cursor ?? null, pulse.closedAt != null);
    } catch (err) {
      this.error(errorText(err));
    }
  }

  stop(): void {
    this.feed?.stop();
    this.feed = undefined;
    this.stateFeed?.stop();
    this.stateFeed = undefined;
    this.updateInfo();
  }

  /** Shows a pulse: its state live, and its answers from `after` (null: from now on). */
  private watch(pulseId: string, title: string, after: string | null, closed: boolean): void {
    this.stop();
    this.error('');
    this.answers.replaceChildren();
    this.shown = 0;
    $('empty-hint').hidden = false;
    this.showCount(0);
    this.showHistogram([0, 0, 0, 0, 0]);
    $('pulse-title-view').textContent = title;
    $('pulse-id').textContent = pulseId;
    $<HTMLAnchorElement>('student-link').href = `#view=student&pulse=${encodeURIComponent(pulseId)}`;
    $('pulse-card').hidden = false;
    this.showClosed(closed);

    const params = fragmentParams();
    params.set('pulse', pulseId);
    setFragment(params);

    const client = this.session.liveClient().subscriber;
    const onError = (message: string, code: string) =>
      this.error(
        code === 'FORBIDDEN' || code === 'UNAUTHENTICATED'
          ? 'The server refused the token: paste a new one and watch again.'
          : message,
      );
    this.stateFeed = new StateFeed(client, PulseDashboardDocument, { id: pulseId }, {
      onState: (s) => this.showState(s.pulseState),
      onError,
    });
    this.feed = new PulseFeed(client, pulseId, after, { onEvent: (e) => this.showEvent(e), onError });
    this.stateFeed.start();
    this.feed.start();
  }

  private showState(s: PulseState): void {
    this.showCount(s.responseCount);
    this.showHistogram(s.confidenceCounts);
    this.showClosed(s.closedAt != null);
    const card = $('pulse-card');
    card.dataset.states = String(this.stateFeed?.states ?? 0);
  }

  private showCount(n: number): void {
    $('answer-count').textContent = String(n);
    $('answer-label').textContent = n === 1 ? 'answer' : 'answers';
  }

  private showHistogram(counts: readonly number[]): void {
    const max = Math.max(1, ...counts);
    this.rows.forEach((row, i) => {
      const n = counts[i] ?? 0;
      row.progress.max = max;
      row.progress.value = n;
      row.count.textContent = String(n);
    });
  }

  private showClosed(closed: boolean): void {
    const btn = $<HTMLButtonElement>('close-pulse');
    btn.disabled = closed;
    btn.textContent = closed ? 'Closed' : 'Close pulse';
    const card = $('pulse-card');
    if (closed) card.dataset.closed = 'true';
    else delete card.dataset.closed;
    const status = $('pulse-status');
    status.textContent = closed ? 'closed' : 'open';
    status.dataset.closed = String(closed);
  }

  private showEvent(event: PulseEvent): void {
    const p = event.payload;
    if (p.__typename === 'LearningPulseResponded') {
      const r = p.response;
      const meta = [`student ${p.studentId.slice(0, 8)}`];
      if (r?.confidence) meta.push(`confidence ${r.confidence}/5`);
      if (r) meta.push(new Date(r.createdAt).toLocaleTimeString());
      this.answers.append(
        el('li', { 'data-testid': 'answer', 'data-event-id': event.id, 'data-version': String(event.version) },
          el('span', { class: 'answer-text' }, r ? r.answer : '(answer not visible to you)'),
          el('span', { class: 'muted' }, meta.join(' · '))),
      );
      this.shown++;
      while (this.answers.childElementCount > LATEST_MAX) this.answers.firstElementChild?.remove();
      $('empty-hint').hidden = true;
    } else if (event.type === 'LEARNING_PULSE_CLOSED') {
      this.showClosed(true);
    }
    this.updateInfo();
  }

  updateInfo(): void {
    const info = $('feed-info');
    const feed = this.feed;
    if (!feed) {
      info.textContent = '';
      return;
    }
    const reconnects = this.session.reconnects;
    info.dataset.reconnects = String(reconnects);
    info.dataset.repeats = String(feed.repeatsDropped);
    info.dataset.lastCursor = feed.lastCursor ?? '';
    info.dataset.transport = this.session.transport;
    info.dataset.shown = String(this.shown);
    info.textContent = reconnects ? `reconnected ${reconnects}× and resumed from the last event seen` : '';
  }

  private error(message: string): void {
    $('teacher-error').textContent = message;
  }
}
