// Development mode (no EDUPULSE_JWT_SECRET): the server offers the tokens
// it printed at start at /app/dev-tokens.json, and the page uses them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildServer, launchBrowser, screenshot, startServer } from './harness.mjs';

test('development mode: the page offers the dev tokens', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'devmode', { devMode: true });

  const res = await fetch(server.url + '/app/dev-tokens.json');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const tokens = await res.json();
  assert.deepEqual(tokens.map((x) => x.role), ['teacher', 'student', 'admin']);

  const context = await launchBrowser(t);
  const page = await context.newPage();
  await page.goto(server.url + '/app/');
  // With no token of its own, the page takes the teacher's.
  await page.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
  await page.getByTestId('teacher-view').waitFor();

  await page.getByTestId('dev-token-student').click();
  await page.getByTestId('whoami').filter({ hasText: 'Signed in as student' }).waitFor();
  await page.getByTestId('student-view').waitFor();
  assert.equal(await page.getByTestId('teacher-view').isHidden(), true);
  await screenshot(page, 'devmode-student-token.png');
});
