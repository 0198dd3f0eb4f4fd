// A whole class answering at once while the teacher's dashboard is open:
// 60 students answer concurrently over HTTP; the page (pulseState) shows
// the final count and the confidence histogram exactly, and the latest
// answers; a student's page follows the pulse's state, shows its own
// answer, and sees the pulse close.
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

const STUDENTS = 60;

test('teacher dashboard: 60 concurrent answers, the final counts exactly', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'dashboard');
  const teacherToken = await mintToken(bin, 'teacher');
  const context = await launchBrowser(t);
  const pageErrors = [];

  for (const transport of (process.env.DASHBOARD_TRANSPORTS ?? 'websocket,sse').split(',')) {
    await t.test(`over ${transport}`, async () => {
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(`${server.url}/app/#transport=${transport}&token=${encodeURIComponent(teacherToken)}`);
      await page.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
      await page.getByTestId('pulse-title').fill(`How sure are you? (${transport})`);
      await page.getByTestId('create-pulse').click();
      const pulseId = (await page.getByTestId('pulse-id').filter({ hasText: /^[0-9a-f-]{36}$/ }).textContent()).trim();
      await page.locator('[data-testid=status][data-state=live]').waitFor();
      await page.getByTestId('pulse-status').filter({ hasText: 'open' }).waitFor();
      await page.locator('[data-testid=pulse-card][data-states]').waitFor(); // the first state arrived

      // A student page on the same pulse, open before the burst.
      const studentToken = await mintToken(bin, 'student');
      const studentPage = await context.newPage();
      studentPage.on('pageerror', (e) => pageErrors.push(String(e)));
      await studentPage.goto(
        `${server.url}/app/#view=student&transport=${transport}&pulse=${pulseId}&token=${encodeURIComponent(studentToken)}`,
      );
      await studentPage.getByTestId('answer-pulse-state').filter({ hasText: 'Open · 0 answers so far' }).waitFor({ timeout: 5000 }).catch(async (err) => {
        const shown = await studentPage.getByTestId('answer-pulse-state').textContent();
        const status = await studentPage.getByTestId('status').getAttribute('data-state');
        throw new Error(`${err.message}; shown: ${shown}; status ${status}`);
      });

      // The burst: 60 students at once; confidence 1 to 5 for 50 of them
      // (10 each), none for the other 10.
      const tokens = await Promise.all(Array.from({ length: STUDENTS }, () => mintToken(bin, 'student')));
      const confidence = (i) => (i < 50 ? (i % 5) + 1 : null);
      const started = Date.now();
      await Promise.all(
        tokens.map((tok, i) => gql(server, tok, respondMutation, { p: pulseId, a: `answer ${i}`, c: confidence(i) })),
      );
      const acked = Date.now();
      t.diagnostic(`${transport}: ${STUDENTS} answers acknowledged in ${acked - started} ms`);

      await page.getByTestId('answer-count').filter({ hasText: new RegExp(`^${STUDENTS}$`) }).waitFor({ timeout: 5000 });
      t.diagnostic(`${transport}: the page showed ${STUDENTS} ${Date.now() - acked} ms after the last acknowledgement`);
      for (let c = 1; c <= 5; c++) {
        await page.getByTestId(`confidence-${c}`).filter({ hasText: /^10$/ }).waitFor({ timeout: 2000 });
      }
      // The latest answers: the last 50 listed, each once.
      await page.locator('[data-testid=feed-info][data-shown="60"]').waitFor({ state: 'attached', timeout: 5000 });
      const listed = await page.locator('[data-testid=answer] .answer-text').allTextContents();
      assert.equal(listed.length, 50);
      assert.equal(new Set(listed).size, 50, 'no answer listed twice');
      const states = Number(await page.getByTestId('pulse-card').getAttribute('data-states'));
      t.diagnostic(`${transport}: ${states} states received for ${STUDENTS} answers (conflated)`);
      await screenshot(page, `dashboard-${transport}-1-sixty.png`);

      // The student answers from their page: the count and the histogram
      // move, and the student sees their own answer.
      await studentPage.getByTestId('answer-text').fill('sure enough');
      await studentPage.getByTestId('answer-confidence').selectOption('5');
      await studentPage.getByTestId('send-answer').click();
      await studentPage.getByTestId('answer-result').filter({ hasText: 'Answer recorded' }).waitFor();
      await studentPage
        .getByTestId('answer-pulse-state')
        .filter({ hasText: `Open · ${STUDENTS + 1} answers so far · your answer: “sure enough” (confidence 5/5)` })
        .waitFor({ timeout: 2000 });
      await page.getByTestId('answer-count').filter({ hasText: new RegExp(`^${STUDENTS + 1}$`) }).waitFor({ timeout: 2000 });
      await page.getByTestId('confidence-5').filter({ hasText: /^11$/ }).waitFor({ timeout: 2000 });

      // The teacher closes it: both pages show it closed.
      await page.getByTestId('close-pulse').click();
      await page.getByTestId('pulse-status').filter({ hasText: 'closed' }).waitFor({ timeout: 2000 });
      await studentPage.getByTestId('answer-pulse-state').filter({ hasText: /^Closed · 61 answers so far/ }).waitFor({ timeout: 2000 });
      assert.equal(await studentPage.getByTestId('send-answer').isDisabled(), true, 'a closed pulse takes no answer');
      await screenshot(page, `dashboard-${transport}-2-closed.png`);
      await screenshot(studentPage, `dashboard-${transport}-3-student.png`);

      // Final: exactly what the server holds.
      const { pulse } = await gql(server, teacherToken, `query($id: UUID!) { pulse(id: $id) { responseCount confidenceCounts } }`, { id: pulseId });
      assert.equal(pulse.responseCount, STUDENTS + 1);
      const shown = [];
      for (let c = 1; c <= 5; c++) shown.push(Number(await page.getByTestId(`confidence-${c}`).textContent()));
      assert.deepEqual(shown, pulse.confidenceCounts);
      assert.equal(await page.getByTestId('answer-count').textContent(), String(pulse.responseCount));
      await sleep(100);
      await studentPage.close();
      await page.close();
    });
  }
  assert.deepEqual(pageErrors, []);
});
