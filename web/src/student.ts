// The student's view: answers a pulse by id, and follows its state live
// (pulseState: open or closed, how many answered, the student's own answer;
// a student sees only their own responses).
import { ApiError, execute } from './api';
import { $ } from './dom';
import type { StudentPulseSubscription, StudentPulseSubscriptionVariables } from './gql/graphql';
import { StateFeed } from './live';
import { RespondToPulseMutation, StudentPulseSubscription as StudentPulseDocument } from './operations';
import type { Session } from './session';

const messages: Record<string, string> = {
  CONFLICT: 'Not recorded: you have already answered this pulse, or it is closed.',
  NOT_FOUND: 'Not recorded: there is no such pulse.',
  FORBIDDEN: 'Not recorded: only a student token can answer a pulse.',
  UNAUTHENTICATED: 'Not recorded: the server refused the token; get a new one.',
  RATE_LIMITED: 'Not recorded: too many requests; try again in a moment.',
};

export class StudentView {
  private feed: StateFeed<StudentPulseSubscription, StudentPulseSubscriptionVariables> | undefined;
  private following = '';

  constructor(private readonly session: Session) {
    session.listen({ onReset: () => this.stop(), onConnection: () => {} });
    $('answer-pulse').addEventListener('change', () => this.follow());
    $('answer-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.send();
    });
  }

  /** Follows the state of the pulse whose id is in the field. */
  follow(): void {
    const id = $<HTMLInputElement>('answer-pulse').value.trim();
    if (id === this.following && this.feed) return;
    this.stop();
    $('answer-pulse-title').textContent = '';
    $('answer-pulse-state').textContent = '';
    if (!id || !this.session.token) return;
    this.following = id;
    this.feed = new StateFeed(this.session.liveClient().subscriber, StudentPulseDocument, { id }, {
      onState: ({ pulseState: p }) => {
        const closed = p.closedAt != null;
        $('answer-pulse-title').textContent = `“${p.title}”${closed ? ' (closed)' : ''}`;
        const mine = p.responses.edges[0]?.node;
        const parts = [closed ? 'Closed' : 'Open', `${p.responseCount} ${p.responseCount === 1 ? 'answer' : 'answers'} so far`];
        if (mine) parts.push(`your answer: “${mine.answer}”${mine.confidence ? ` (confidence ${mine.confidence}/5)` : ''}`);
        const state = $('answer-pulse-state');
        state.textContent = parts.join(' · ');
        state.dataset.closed = String(closed);
        state.dataset.answered = String(mine != null);
        $<HTMLButtonElement>('send-answer').disabled = closed;
      },
      onError: (message, code) => {
        $('answer-pulse-title').textContent = code === 'NOT_FOUND' ? 'No such pulse.' : '';
        if (code !== 'NOT_FOUND') $('answer-pulse-state').textContent = message;
      },
    });
    this.feed.start();
  }

  stop(): void {
    this.feed?.stop();
    this.feed = undefined;
    this.following = '';
  }

  private async send(): Promise<void> {
    const result = $('answer-result');
    const error = $('student-error');
    result.textContent = '';
    error.textContent = '';
    const confidence = $<HTMLSelectElement>('answer-confidence').value;
    try {
      const { respondToPulse } = await execute(this.session.token, RespondToPulseMutation, {
        input: {
          pulseId: $<HTMLInputElement>('answer-pulse').value.trim(),
          answer: $<HTMLTextAreaElement>('answer-text').value,
          confidence: confidence ? Number(confidence) : null,
        },
      });
      result.textContent = `Answer recorded at ${new Date(respondToPulse.response.createdAt).toLocaleTimeString()}.`;
      $<HTMLTextAreaElement>('answer-text').value = '';
    } catch (err) {
      error.textContent =
        err instanceof ApiError
          ? (messages[err.code] ?? err.message) + (err.code === 'BAD_USER_INPUT' ? ` (${err.message})` : '')
          : String(err);
    }
  }
}
