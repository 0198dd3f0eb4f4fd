// The GraphiQL playground at / in real Chromium, with no internet: every
// request to a host other than this machine is blocked (and recorded);
// the page must load, run a query with a bearer token set in its headers
// editor, and show a live subscription event.
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

const localHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Replaces a GraphiQL (CodeMirror 5) editor's text the way a paste does.
 * With a storageKey, also waits for GraphiQL to take the text in: it saves
 * the query to localStorage after a debounce, and until then the execute
 * button acts on the old document's operations. (Headers are read from
 * their editor when an operation runs, and not stored at all by default.)
 */
async function setEditor(page, editor, storageKey, text) {
  await editor.locator('.CodeMirror').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  const value = await editor.locator('.CodeMirror').evaluate((el) => el.CodeMirror.getValue());
  assert.equal(value, text, 'the editor holds what was typed');
  if (storageKey) {
    await page.waitForFunction(([key, want]) => localStorage.getItem(key) === want, [storageKey, text], {
      timeout: 5000,
    });
  }
}

async function resultText(page) {
  return page.locator('.graphiql-response .CodeMirror').evaluate((el) => el.CodeMirror.getValue());
}

test('playground works offline: query with a bearer token, live subscription', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'playground');
  const teacherSub = crypto.randomUUID();
  const teacher = await mintToken(bin, 'teacher', teacherSub);

  const context = await launchBrowser(t);
  const blocked = [];
  const requested = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (localHosts.has(url.hostname)) return route.continue();
    blocked.push(url.href);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.on('request', (r) => requested.push(r.url()));
  const wsInits = [];
  const wsSubscribes = [];
  page.on('websocket', (ws) => {
    requested.push(ws.url());
    ws.on('framesent', ({ payload }) => {
      const m = JSON.parse(String(payload));
      if (m.type === 'connection_init') wsInits.push(m.payload);
      if (m.type === 'subscribe') wsSubscribes.push(m.payload);
    });
  });

  await page.goto(server.url + '/');
  await page.locator('.graphiql-container').waitFor();
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();

  // The headers editor: its tab, then the editor that is not hidden.
  await page.getByRole('button', { name: 'Headers' }).click();
  const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)');
  await setEditor(page, headers, null, JSON.stringify({ Authorization: 'Bearer ' + teacher }));
  const query = page.locator('.graphiql-query-editor');

  await t.test('a query runs with the token from the headers editor', async () => {
    await setEditor(page, query, 'graphiql:query', 'query Me {\n  viewer {\n    id\n    role\n  }\n}');
    await page.locator('.graphiql-execute-button').click();
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('TEACHER'),
      null,
      { timeout: 5000 },
    );
    const result = JSON.parse(await resultText(page));
    assert.deepEqual(result, { data: { viewer: { id: teacherSub, role: 'TEACHER' } } });
    await screenshot(page, 'playground-1-query.png');
  });

  await t.test('a subscription shows a live event', async () => {
    const { createPulse } = await gql(
      server,
      teacher,
      'mutation { createPulse(input: {title: "Playground pulse"}) { pulse { id } event { cursor } } }',
    );
    const pulseId = createPulse.pulse.id;
    // From the creation's cursor: the answer below is delivered even if it
    // is committed before the subscription is registered.
    await setEditor(
      page,
      query,
      'graphiql:query',
      `subscription Answers {\n  pulseEvents(pulseId: "${pulseId}", after: "${createPulse.event.cursor}") {\n` +
        '    type\n    version\n    payload {\n      ... on LearningPulseResponded {\n' +
        '        response {\n          answer\n        }\n      }\n    }\n  }\n}',
    );
    await page.locator('.graphiql-execute-button').click();
    const deadline = Date.now() + 5000;
    while (wsSubscribes.length === 0 && Date.now() < deadline) await sleep(50);
    assert.equal(wsSubscribes.length, 1, 'GraphiQL subscribed over the websocket');
    assert.deepEqual(wsInits.at(-1), { Authorization: 'Bearer ' + teacher }, 'connection_init carries the headers');

    const student = await mintToken(bin, 'student');
    await gql(server, student, respondMutation, { p: pulseId, a: 'seen live in GraphiQL' });
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('seen live in GraphiQL'),
      null,
      { timeout: 5000 },
    );
    const result = JSON.parse(await resultText(page));
    assert.equal(result.data.pulseEvents.type, 'LEARNING_PULSE_RESPONDED');
    assert.equal(result.data.pulseEvents.version, 2);
    await screenshot(page, 'playground-2-subscription.png');
  });

  assert.deepEqual(blocked, [], 'the playground asked for nothing outside this machine');
  for (const url of requested) {
    assert.ok(localHosts.has(new URL(url).hostname), `request to another host: ${url}`);
  }
  assert.ok(requested.some((u) => u.includes('/playground/assets/graphiql.min.js')));
});
