// The teacher page live over Server-Sent Events, in real Chromium against
// the real binary: with the graphql-sse client (POST, the token in a
// header, `after` resent on reconnect) and with a plain EventSource (GET,
// the token as access_token, resumed by the browser's own Last-Event-ID).
// Answers arrive live, in order; the connection is cut (the page offline,
// the server restarted, which ends streams without `complete`) while two
// more are posted; once back, all five are shown exactly once.
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

async function shownAnswers(page) {
  return page.locator('[data-testid=answer] .answer-text').allTextContents();
}

test('teacher page over SSE: graphql-sse and EventSource, each resuming after a cut', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'sse');
  const context = await launchBrowser(t);

  for (const transport of ['sse', 'eventsource']) {
    await t.test(transport, async () => {
      const teacherToken = await mintToken(bin, 'teacher');
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      let sockets = 0;
      page.on('websocket', () => sockets++);
      /** The event-stream requests the page made. */
      const streams = [];
      page.on('request', (req) => {
        if (!/text\/event-stream/.test(req.headers().accept ?? '')) return;
        // allHeaders: as sent, Last-Event-ID included (the network stack adds it).
        streams.push(
          req.allHeaders().then((headers) => ({
            method: req.method(),
            url: new URL(req.url()),
            headers,
            body: req.method() === 'POST' ? req.postDataJSON() : undefined,
          })),
        );
      });

      await page.goto(`${server.url}/app/#transport=${transport}&token=${encodeURIComponent(teacherToken)}`);
      await page.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
      assert.equal(await page.getByTestId('transport').inputValue(), transport, 'the transport is shown');
      await page.getByTestId('pulse-title').fill(`Live over ${transport}`);
      await page.getByTestId('create-pulse').click();
      const pulseId = (await page.getByTestId('pulse-id').filter({ hasText: /^[0-9a-f-]{36}$/ }).textContent()).trim();
      await page.locator('[data-testid=status][data-state=live]').waitFor();
      await sleep(300); // the server has registered the subscription

      const students = await Promise.all([1, 2, 3, 4, 5].map(() => mintToken(bin, 'student')));
      const answers = [1, 2, 3, 4, 5].map((i) => `${transport} answer ${i}`);
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        await gql(server, students[i], respondMutation, { p: pulseId, a: answers[i], c: i + 1 });
        await page.getByTestId('answer').filter({ hasText: answers[i] }).waitFor({ timeout: 1000 });
        t.diagnostic(`${transport}: answer ${i + 1} shown ${Date.now() - started} ms after the POST started`);
      }
      assert.deepEqual(await shownAnswers(page), answers.slice(0, 3));
      const lastCursor = await page.getByTestId('feed-info').getAttribute('data-last-cursor');
      assert.ok(lastCursor);
      const streamsBefore = streams.length;

      // The cut: offline (no new connection can be made), and the server
      // restarted (its streams end without `complete`).
      await context.setOffline(true);
      await server.stop();
      await page.locator('[data-testid=status][data-state=reconnecting]').waitFor({ timeout: 5000 });
      await server.start();
      await gql(server, students[3], respondMutation, { p: pulseId, a: answers[3] });
      await gql(server, students[4], respondMutation, { p: pulseId, a: answers[4] });
      await sleep(1000);
      assert.deepEqual(await shownAnswers(page), answers.slice(0, 3), 'nothing arrives while offline');
      await screenshot(page, `sse-${transport}-1-offline.png`);

      await context.setOffline(false);
      await page.getByTestId('answer').filter({ hasText: answers[4] }).waitFor({ timeout: 15_000 });
      await page.locator('[data-testid=status][data-state=live]').waitFor();
      await sleep(500); // anything doubled would be here by now
      assert.deepEqual(await shownAnswers(page), answers, 'all five, in order, exactly once');
      // The count is the pulseState stream's, asked again on its own (after
      // the server's retry: delay, spread over a few seconds on shutdown).
      await page.getByTestId('answer-count').filter({ hasText: /^5$/ }).waitFor({ timeout: 10_000 });
      assert.equal(await page.getByTestId('feed-info').getAttribute('data-repeats'), '0', 'the server sent nothing twice');
      await screenshot(page, `sse-${transport}-2-resumed.png`);

      // How each resumed: the request that brought answers 4 and 5.
      const resumed = await Promise.all(streams.slice(streamsBefore));
      assert.ok(resumed.length >= 1, 'the page asked again');
      // (The dashboard's pulseState stream is asked again too: it needs no
      // cursor, its first message being the whole state.)
      const variablesOf = (r) => r.body?.variables ?? JSON.parse(r.url.searchParams.get('variables') ?? '{}');
      const last = resumed.filter((r) => 'pulseId' in variablesOf(r)).at(-1);
      assert.ok(last, 'the answers stream was asked again');
      if (transport === 'sse') {
        assert.equal(last.method, 'POST');
        assert.match(last.headers.authorization ?? '', /^Bearer /, 'the token in a header');
        assert.equal(last.body.variables.after, lastCursor, 'resumed from the last cursor seen');
      } else {
        assert.equal(last.method, 'GET');
        assert.equal(last.headers.authorization, undefined, 'EventSource sends no header of ours');
        assert.equal(last.url.searchParams.get('access_token'), teacherToken, 'the token as access_token');
        assert.equal(last.headers['last-event-id'], lastCursor, "the browser's Last-Event-ID: the last cursor seen");
      }
      assert.equal(sockets, 0, 'no websocket was opened');
      assert.deepEqual(pageErrors, []);
      await page.close();
    });
  }
});
