// The page's production build (the dist/ the binary embeds) against a
// server that runs trusted documents only (EDUPULSE_TRUSTED_DOCUMENTS set
// to the persisted-documents.json codegen writes): the teacher and student
// pages work, every request they make names its document by hash and
// carries no text, and a document sent as text is refused.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildServer,
  launchBrowser,
  mintToken,
  repoRoot,
  respondMutation,
  screenshot,
  startServer,
} from './harness.mjs';

const documentsFile = join(repoRoot, 'web', 'src', 'gql', 'persisted-documents.json');

/** The hex hash of the file's document whose operation is `name`. */
function hashOf(documents, name) {
  const re = new RegExp(`^(query|mutation|subscription) ${name}\\b`);
  const key = Object.keys(documents).find((k) => re.test(documents[k]));
  assert.ok(key, `${name} is in persisted-documents.json`);
  return key.replace(/^sha256:/, '');
}

/** POST /query with a body of the test's choosing; returns status and body. */
async function post(server, token, body) {
  const res = await fetch(server.url + '/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test('the build sends hashes only, and works against a trusted-documents-only server', async (t) => {
  const documents = JSON.parse(await readFile(documentsFile, 'utf8'));
  const trusted = new Set(Object.keys(documents).map((k) => k.replace(/^sha256:/, '')));
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'persisted', {
    env: { EDUPULSE_TRUSTED_DOCUMENTS: documentsFile },
  });
  const teacherToken = await mintToken(bin, 'teacher');

  // Anything but a trusted document is refused, a raw query first of all.
  const raw = await post(server, teacherToken, { query: '{ viewer { id role } }' });
  assert.equal(raw.status, 400);
  assert.equal(raw.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
  // (The page's own documents, written as in its source, are not the
  // file's normalised texts: refused as well.)
  const asWritten = await post(server, teacherToken, { query: 'query Viewer {\n  viewer {\n    id\n    role\n  }\n}' });
  assert.equal(asWritten.status, 400);

  const context = await launchBrowser(t);
  /** What every page sent to /query: HTTP bodies and websocket subscribes. */
  const sent = [];
  const watchPage = (page) => {
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/query' && req.method() === 'POST') {
        sent.push({ via: 'http', body: req.postDataJSON() });
      }
    });
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const m = JSON.parse(String(payload));
        if (m.type === 'subscribe') sent.push({ via: 'websocket', body: m.payload });
      }),
    );
    return page;
  };
  const pageErrors = [];
  const page = watchPage(await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  await page.goto(server.url + '/app/#token=' + encodeURIComponent(teacherToken));
  await page.getByTestId('whoami').filter({ hasText: 'Signed in as teacher' }).waitFor();
  await page.getByTestId('pulse-title').fill('Trusted documents only');
  await page.getByTestId('create-pulse').click();
  const pulseId = (await page.getByTestId('pulse-id').filter({ hasText: /^[0-9a-f-]{36}$/ }).textContent()).trim();
  await page.locator('[data-testid=status][data-state=live]').waitFor();

  // Two answers from the test, by documentId: they appear on the page.
  const respondHash = hashOf(documents, 'RespondToPulse');
  for (const [i, answer] of ['by hash, one', 'by hash, two'].entries()) {
    const student = await mintToken(bin, 'student');
    const r = await post(server, student, {
      documentId: 'sha256:' + respondHash,
      variables: { input: { pulseId, answer, confidence: i + 3 } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await page.getByTestId('answer').filter({ hasText: answer }).waitFor({ timeout: 2000 });
  }
  // The test's own text of the same mutation is refused, and writes nothing.
  const refused = await post(server, await mintToken(bin, 'student'), {
    query: respondMutation,
    variables: { p: pulseId, a: 'as text' },
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');

  // The student page answers by hash too.
  const student = watchPage(await context.newPage());
  student.on('pageerror', (e) => pageErrors.push(String(e)));
  await student.goto(
    `${server.url}/app/#view=student&pulse=${pulseId}&token=${encodeURIComponent(await mintToken(bin, 'student'))}`,
  );
  await student.getByTestId('whoami').filter({ hasText: 'Signed in as student' }).waitFor();
  await student.getByTestId('answer-pulse-title').filter({ hasText: 'Trusted documents only' }).waitFor();
  await student.getByTestId('answer-text').fill('from the student page');
  await student.getByTestId('answer-confidence').selectOption('5');
  await student.getByTestId('send-answer').click();
  await student.getByTestId('answer-result').filter({ hasText: 'Answer recorded' }).waitFor();

  await page.getByTestId('answer').filter({ hasText: 'from the student page' }).waitFor({ timeout: 2000 });
  assert.deepEqual(await page.locator('[data-testid=answer] .answer-text').allTextContents(), [
    'by hash, one',
    'by hash, two',
    'from the student page',
  ]);
  assert.equal(await page.getByTestId('answer-count').textContent(), '3');
  assert.equal(await page.getByTestId('teacher-error').textContent(), '');
  await page.getByTestId('close-pulse').click();
  await page.locator('[data-testid=pulse-card][data-closed=true]').waitFor({ timeout: 2000 });
  await screenshot(page, 'persisted-teacher.png');

  // Every request named a trusted document by hash, and none carried text.
  const kinds = new Set(sent.map((s) => s.via));
  assert.deepEqual([...kinds].sort(), ['http', 'websocket']);
  assert.ok(sent.length >= 6, `${sent.length} requests seen`);
  for (const { via, body } of sent) {
    assert.ok(!body.query, `${via}: no document text (${JSON.stringify(body)})`);
    const hash = body.extensions?.persistedQuery?.sha256Hash;
    assert.ok(trusted.has(hash), `${via}: a trusted document's hash (${JSON.stringify(body)})`);
  }
  t.diagnostic(`${sent.length} requests, all by hash: ${[...new Set(sent.map((s) => s.body.extensions.persistedQuery.sha256Hash.slice(0, 8)))].join(', ')}`);
  assert.deepEqual(pageErrors, []);
});
