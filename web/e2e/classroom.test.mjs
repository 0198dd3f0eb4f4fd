// The live classroom page (/app/) in real Chromium against the real binary:
// answers arrive live, in order, once; a lost connection is survived with
// nothing missed or doubled; the student view answers a pulse by id; 4403
// is never retried; SLOW_CONSUMER is resumed from its lastCursor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildServer,
  gql,
  launchBrowser,
  mintToken,
  respondMutation,
  screenshot,
  sleep,
  startServer,
} from './harness.mjs';

/** Texts of the answers shown, in page order. */
async function shownAnswers(page) {
  return page.locator('[data-testid=answer] .answer-text').allTextContents();
}

test('teacher page shows answers live and resumes after a lost connection', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'classroom');
  const teacherToken = await mintToken(bin, 'teacher');

  // Outside development mode the dev tokens are not offered.
  assert.equal((await fetch(server.url + '/app/dev-tokens.json')).status, 404);

  const context = await launchBrowser(t);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  // Every graphql-transport-ws frame, to check what the page sends when it
  // resubscribes.
  const subscribes = [];
  const cursorsReceived = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      const m = JSON.parse(String(payload));
      if (m.type === 'subscribe') subscribes.push(m.payload.variables);
    });
    ws.on('framereceived', ({ payload }) => {
      const m = JSON.parse(String(payload));
      if (m.type === 'next' && m.payload.data?.pulseEvents) cursorsReceived.push(m.payload.data.pulseEvents);
    });
  });

  await page.goto(server.url + '/app/#token=' + encodeURIComponent(teacherToken));
  await page.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
  assert.ok(!page.url().includes(teacherToken), 'the token is removed from the address bar');

  await page.getByTestId('pulse-title').fill('Is the live page working?');
  await page.getByTestId('create-pulse').click();
  const pulseIdLocator = page.getByTestId('pulse-id');
  await pulseIdLocator.filter({ hasText: /^[0-9a-f-]{36}$/ }).waitFor();
  const pulseId = (await pulseIdLocator.textContent()).trim();
  await page.locator('[data-testid=status][data-state=live]').waitFor();

  const students = await Promise.all([1, 2, 3, 4, 5].map(() => mintToken(bin, 'student')));
  const answers = ['answer 1: clear', 'answer 2: mostly', 'answer 3: lost me at the end', 'answer 4: offline one', 'answer 5: offline two'];

  await t.test('(a) three answers posted through the API appear in order, each within a second', async () => {
    for (let i = 0; i < 3; i++) {
      const start = Date.now();
      await gql(server, students[i], respondMutation, { p: pulseId, a: answers[i], c: i + 2 });
      await page.getByTestId('answer').filter({ hasText: answers[i] }).waitFor({ timeout: 1000 });
      const took = Date.now() - start;
      assert.ok(took < 1000, `answer ${i + 1} took ${took} ms`);
      t.diagnostic(`answer ${i + 1} shown ${took} ms after the POST started`);
    }
    assert.deepEqual(await shownAnswers(page), answers.slice(0, 3));
    // The count is the pulse's state (pulseState), pushed beside the events.
    await page.getByTestId('answer-count').filter({ hasText: /^3$/ }).waitFor({ timeout: 1000 });
    await screenshot(page, 'classroom-1-three-answers.png');
  });

  await t.test('(b) a cut connection: answers posted meanwhile are shown after reconnecting, all exactly once', async () => {
    const lastCursorBefore = cursorsReceived.at(-1).cursor;
    const subscribesBefore = subscribes.length;

    // Chromium's offline emulation fails new connections but leaves open
    // websockets alone; if it does cut them, so much the better.
    await context.setOffline(true);
    let cutBy = 'offline emulation';
    try {
      await page.locator('[data-testid=status][data-state=reconnecting]').waitFor({ timeout: 2000 });
    } catch {
      // Still connected: restart the server (SIGTERM: websockets closed
      // with 1012), on the same data dir and port. The page, offline,
      // cannot reconnect until it is back online.
      cutBy = 'a server restart (1012) while the page is offline';
      await server.stop();
      await page.locator('[data-testid=status][data-state=reconnecting]').waitFor({ timeout: 5000 });
      assert.match(await page.getByTestId('status').getAttribute('title'), /1012/);
      await server.start();
    }
    t.diagnostic(`connection cut by ${cutBy}`);

    await gql(server, students[3], respondMutation, { p: pulseId, a: answers[3] });
    await gql(server, students[4], respondMutation, { p: pulseId, a: answers[4] });
    await sleep(1000);
    assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'reconnecting');
    assert.deepEqual(await shownAnswers(page), answers.slice(0, 3), 'nothing arrives while disconnected');
    await screenshot(page, 'classroom-2-disconnected.png');

    await context.setOffline(false);
    await page.getByTestId('answer').filter({ hasText: answers[4] }).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid=status][data-state=live]').waitFor();
    await sleep(500); // anything doubled would have arrived by now
    assert.deepEqual(await shownAnswers(page), answers, 'all five, in order, exactly once');
    await page.getByTestId('answer-count').filter({ hasText: /^5$/ }).waitFor({ timeout: 1000 });
    const info = page.getByTestId('feed-info');
    assert.equal(await info.getAttribute('data-repeats'), '0', 'the server replayed nothing twice');
    assert.ok(Number(await info.getAttribute('data-reconnects')) >= 1);

    // The resubscription resumed from the last cursor seen, not from the start.
    const resubscribes = subscribes.slice(subscribesBefore);
    assert.ok(resubscribes.length >= 1, 'the page resubscribed');
    for (const v of resubscribes.filter((v) => 'pulseId' in v)) {
      assert.equal(v.pulseId, pulseId);
      assert.equal(v.after, lastCursorBefore);
    }
    await screenshot(page, 'classroom-3-five-after-reconnect.png');
  });

  await t.test('student view answers by id; the teacher sees it; a second answer is refused', async () => {
    const studentToken = await mintToken(bin, 'student');
    const student = await context.newPage();
    await student.goto(`${server.url}/app/#view=student&pulse=${pulseId}&token=${encodeURIComponent(studentToken)}`);
    await student.getByTestId('whoami').filter({ hasText: 'Signed in as student' }).waitFor();
    assert.equal(await student.getByTestId('answer-pulse').inputValue(), pulseId);
    await student.getByTestId('answer-pulse-title').filter({ hasText: 'Is the live page working?' }).waitFor();
    await student.getByTestId('answer-text').fill('answer 6: from the student page');
    await student.getByTestId('answer-confidence').selectOption('4');
    await student.getByTestId('send-answer').click();
    await student.getByTestId('answer-result').filter({ hasText: 'Answer recorded' }).waitFor();

    await page.getByTestId('answer').filter({ hasText: 'answer 6: from the student page' }).waitFor({ timeout: 1000 });
    assert.match(await page.getByTestId('answer').last().textContent(), /confidence 4\/5/);
    await page.getByTestId('answer-count').filter({ hasText: /^6$/ }).waitFor({ timeout: 1000 });

    await student.getByTestId('answer-text').fill('a second answer');
    await student.getByTestId('send-answer').click();
    await student.getByTestId('student-error').filter({ hasText: 'already answered' }).waitFor();
    await screenshot(student, 'classroom-4-student-view.png');

    // The teacher closes the pulse; the page learns it from the event.
    await page.getByTestId('close-pulse').click();
    await page.locator('[data-testid=pulse-card][data-closed=true]').waitFor({ timeout: 2000 });
    await student.close();
  });

  await t.test('a token that expires: closed with 4403, never retried; a new token resumes', async () => {
    const teacherId = crypto.randomUUID();
    const shortLived = await mintToken(bin, 'teacher', teacherId, '4s');
    const expiresAt = Date.now() + 4000;
    const p = await context.newPage();
    let sockets = 0;
    p.on('websocket', () => sockets++);
    await p.goto(`${server.url}/app/#token=${encodeURIComponent(shortLived)}`);
    await p.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
    await p.getByTestId('create-pulse').click();
    await p.locator('[data-testid=status][data-state=live]').waitFor();
    const id = (await p.getByTestId('pulse-id').textContent()).trim();
    await gql(server, students[0], respondMutation, { p: id, a: 'before expiry' });
    await p.getByTestId('answer').filter({ hasText: 'before expiry' }).waitFor({ timeout: 1000 });

    // The server closes the socket with 4403 when the token expires.
    await p.locator('[data-testid=status][data-state=rejected]').waitFor({ timeout: expiresAt - Date.now() + 5000 });
    assert.match(await p.getByTestId('teacher-error').textContent(), /refused the token/);
    const socketsAtRejection = sockets;
    await sleep(2500); // several retry periods
    assert.equal(sockets, socketsAtRejection, 'no reconnection attempt after 4403');
    assert.equal(await p.getByTestId('status').getAttribute('data-state'), 'rejected');

    // A fresh token for the same teacher: the page resubscribes and replays.
    await gql(server, students[1], respondMutation, { p: id, a: 'while refused' });
    await p.getByTestId('token-input').fill(await mintToken(bin, 'teacher', teacherId));
    await p.getByRole('button', { name: 'Use', exact: true }).click();
    await p.locator('[data-testid=status][data-state=live]').waitFor();
    await p.getByTestId('answer').filter({ hasText: 'while refused' }).waitFor({ timeout: 2000 });
    assert.deepEqual(await shownAnswers(p), ['before expiry', 'while refused']);
    await screenshot(p, 'classroom-5-new-token-after-4403.png');
    await p.close();
  });

  await t.test('SLOW_CONSUMER: the page resubscribes from extensions.lastCursor (scripted websocket)', async () => {
    // The server cuts a slow consumer only under load; here a scripted
    // websocket (Playwright's routeWebSocket: the page's real graphql-ws
    // client, a fake server) plays the server's part, HTTP stays real.
    const p = await context.newPage();
    const subscribeVariables = [];
    const event = (n) => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      cursor: `cursor-${n}`,
      version: n + 1,
      type: 'LEARNING_PULSE_RESPONDED',
      occurredAt: '2026-11-27T10:00:00.000Z',
      payload: {
        __typename: 'LearningPulseResponded',
        studentId: `00000000-0000-4000-9000-00000000000${n}`,
        responseId: `00000000-0000-4000-a000-00000000000${n}`,
        response: {
          id: `00000000-0000-4000-a000-00000000000${n}`,
          answer: `scripted ${n}`,
          confidence: null,
          createdAt: '2026-11-27T10:00:00.000Z',
        },
      },
    });
    await p.routeWebSocket(/\/query$/, (ws) => {
      const send = (m) => ws.send(JSON.stringify(m));
      ws.onMessage((raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'connection_init') send({ type: 'connection_ack' });
        if (m.type === 'ping') send({ type: 'pong' });
        if (m.type !== 'subscribe') return;
        if (m.payload.query.includes('pulseState')) {
          // The dashboard's state: one message, as the server's first.
          const id = m.payload.variables.id;
          send({ id: m.id, type: 'next', payload: { data: { pulseState: {
            id, title: 'scripted', closedAt: null, responseCount: 3, confidenceCounts: [0, 0, 0, 0, 0],
          } } } });
          return;
        }
        subscribeVariables.push(m.payload.variables);
        const next = (n) => send({ id: m.id, type: 'next', payload: { data: { pulseEvents: event(n) } } });
        if (subscribeVariables.length === 1) {
          next(1);
          next(2);
          send({
            id: m.id,
            type: 'error',
            payload: [{ message: 'subscriber too slow', extensions: { code: 'SLOW_CONSUMER', lastCursor: 'cursor-2' } }],
          });
        } else {
          next(2); // a duplicate, which the page must drop
          next(3);
        }
      });
    });
    await p.goto(`${server.url}/app/#token=${encodeURIComponent(teacherToken)}`);
    await p.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
    await p.getByTestId('create-pulse').click();
    await p.getByTestId('answer').filter({ hasText: 'scripted 3' }).waitFor({ timeout: 5000 });
    assert.deepEqual(await shownAnswers(p), ['scripted 1', 'scripted 2', 'scripted 3']);
    assert.equal(subscribeVariables.length, 2);
    assert.equal(subscribeVariables[1].after, 'cursor-2', 'resubscribed from extensions.lastCursor');
    assert.equal(await p.getByTestId('feed-info').getAttribute('data-repeats'), '1');
    assert.equal(await p.getByTestId('teacher-error').textContent(), '', 'no error shown');
    await p.close();
  });

  assert.deepEqual(pageErrors, []);
});
