// GraphQL over SSE (the graphql-sse protocol, distinct connections mode)
// as the graphql-sse npm client sees it, and as raw event streams, against
// the real binary (contract §1, §2, §5): results as `next`, then
// `complete`; what is refused before execution is a `next` carrying the
// errors, then `complete`; each event's cursor as the SSE `id:`;
// Last-Event-ID resumes with no gap and no duplicate; the token as
// access_token on GET only, and never in a log line; a stream cut by a
// shutdown ends without `complete`, and the client's retry resumes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient } from 'graphql-sse';
import { buildServer, gql, mintToken, outputDir, respondMutation, sleep, startServer } from './harness.mjs';

const createPulse = `mutation($t: String!) { createPulse(input: {title: $t}) { pulse { id } event { cursor } } }`;
const pulseEvents = `subscription($p: UUID!, $after: String) {
  pulseEvents(pulseId: $p, after: $after) {
    id cursor type
    payload { ... on LearningPulseResponded { response { answer } } }
  }
}`;

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** A graphql-sse client (distinct connections) with the bearer token. */
function sseClient(server, token, options = {}) {
  return createClient({
    url: server.url + '/query',
    headers: token === undefined ? {} : { Authorization: 'Bearer ' + token },
    retryAttempts: 0,
    ...options,
  });
}

/** Subscribes and records what the sink receives, in order. */
function collect(client, request) {
  const out = { results: [], calls: [], error: undefined };
  out.done = new Promise((resolve) => {
    out.unsubscribe = client.subscribe(request, {
      next: (v) => {
        out.results.push(v);
        out.calls.push('next');
      },
      error: (e) => {
        out.error = e;
        out.calls.push('error');
        resolve();
      },
      complete: () => {
        out.calls.push('complete');
        resolve();
      },
    });
  });
  return out;
}

/**
 * A raw event stream: fetch with the given request, then its events
 * ({event, id, data}) as they are parsed; `ended` resolves when the
 * response ends (true) or is aborted.
 */
async function rawStream(url, init = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { ...init, signal: controller.signal });
  const events = [];
  let wake = () => {};
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    let cur = { event: '', id: undefined, data: [] };
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).replace(/\r$/, '');
          buf = buf.slice(i + 1);
          if (line === '') {
            if (cur.event || cur.data.length) {
              events.push({ event: cur.event || 'message', id: cur.id, data: cur.data.join('\n') });
              wake();
            }
            cur = { event: '', id: undefined, data: [] };
          } else if (!line.startsWith(':')) {
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'event') cur.event = value;
            else if (field === 'id') cur.id = value;
            else if (field === 'data') cur.data.push(value);
          }
        }
      }
      return true;
    } catch {
      return false;
    } finally {
      wake();
    }
  })();
  return {
    res,
    events,
    ended,
    close: () => controller.abort(),
    /** Waits until n events have arrived. */
    async until(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`${events.length} events of ${n} within ${ms} ms`);
        await Promise.race([new Promise((r) => (wake = r)), sleep(100)]);
      }
    },
  };
}

const sseGetURL = (server, params) => {
  const u = new URL(server.url + '/query');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return u.toString();
};

test('GraphQL over SSE: the graphql-sse client and raw streams against the server', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'protocol-sse');
  const teacher = await mintToken(bin, 'teacher');
  const students = await Promise.all(Array.from({ length: 8 }, () => mintToken(bin, 'student')));

  await t.test('a query: next, then complete', async () => {
    const op = collect(sseClient(server, teacher), { query: '{ viewer { role } }' });
    await within(op.done, 5000, 'the query ends');
    assert.deepEqual(op.results, [{ data: { viewer: { role: 'TEACHER' } } }]);
    assert.deepEqual(op.calls, ['next', 'complete']);
  });

  await t.test('a mutation over POST', async () => {
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'sse mutation' });
    const op = collect(sseClient(server, students[0]), {
      query: respondMutation,
      variables: { p: p.pulse.id, a: 'over SSE' },
    });
    await within(op.done, 5000, 'the mutation ends');
    assert.equal(op.results[0].data.respondToPulse.response.answer, 'over SSE');
    assert.deepEqual(op.calls, ['next', 'complete']);
  });

  await t.test('refused before execution: a next carrying the errors, then complete', async () => {
    const cases = {
      'a validation error': [teacher, { query: 'subscription { nope }' }, 'BAD_USER_INPUT'],
      'a parse error': [teacher, { query: 'subscription {' }, 'BAD_USER_INPUT'],
      'no token': [undefined, { query: pulseEvents, variables: { p: crypto.randomUUID() } }, 'UNAUTHENTICATED'],
      'an unknown persisted query': [
        teacher,
        { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } },
        'PERSISTED_QUERY_NOT_FOUND',
      ],
    };
    for (const [name, [token, request, code]] of Object.entries(cases)) {
      const op = collect(sseClient(server, token), request);
      await within(op.done, 5000, name);
      assert.deepEqual(op.calls, ['next', 'complete'], name);
      assert.equal(op.results[0].errors?.[0]?.extensions?.code, code, `${name}: ${JSON.stringify(op.results[0])}`);
    }
  });

  await t.test('errors while executing: a next carrying them, then complete', async () => {
    const op = collect(sseClient(server, teacher), {
      query: 'subscription($id: UUID!) { pulseState(id: $id) { id } }',
      variables: { id: crypto.randomUUID() },
    });
    await within(op.done, 5000, 'pulseState of an unknown pulse');
    assert.deepEqual(op.calls, ['next', 'complete']);
    assert.equal(op.results[0].errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  await t.test('refused before the stream, with a status: the client reports it as an error', async () => {
    // A bad token: 401, as over HTTP.
    const bad = collect(sseClient(server, 'not.a.jwt'), { query: '{ viewer { id } }' });
    await within(bad.done, 5000, 'bad token');
    assert.deepEqual(bad.calls, ['error']);
    assert.equal(bad.error.response?.status, 401);

    // A mutation over GET: 405.
    const get = await fetch(sseGetURL(server, { query: 'mutation { closePulse(input: {pulseId: "00000000-0000-4000-8000-000000000000"}) { pulse { id } } }' }), {
      headers: { Accept: 'text/event-stream', Authorization: 'Bearer ' + teacher },
    });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');

    // access_token is for event-stream GETs only (RFC 6750 §2.3 as a last
    // resort): on a POST it is refused.
    const post = await fetch(server.url + '/query?access_token=' + encodeURIComponent(teacher), {
      method: 'POST',
      headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    assert.equal(post.status, 401);
  });

  await t.test('a subscription over plain POST is refused at once (400, BAD_USER_INPUT)', async () => {
    const started = Date.now();
    const res = await fetch(server.url + '/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + teacher },
      body: JSON.stringify({ query: pulseEvents, variables: { p: crypto.randomUUID() } }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(body.errors[0].message, /websocket|SSE|event-stream/i);
    assert.ok(Date.now() - started < 2000);
  });

  await t.test("each event's cursor is its id:; Last-Event-ID resumes after it, no gap, no duplicate", async () => {
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'sse resume' });
    const answer = (i) => gql(server, students[i], respondMutation, { p: p.pulse.id, a: `answer ${i}` });

    // EventSource's way: GET, the token as access_token.
    const url = sseGetURL(server, {
      query: pulseEvents,
      variables: { p: p.pulse.id },
      access_token: teacher,
    });
    const first = await rawStream(url, { headers: { Accept: 'text/event-stream' } });
    assert.equal(first.res.status, 200);
    assert.match(first.res.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(first.res.headers.get('cache-control'), 'no-cache');
    assert.equal(first.res.headers.get('x-accel-buffering'), 'no');
    await sleep(300); // subscribed
    await answer(1);
    await answer(2);
    await first.until(2);
    for (const e of first.events) {
      assert.equal(e.event, 'next');
      const ev = JSON.parse(e.data).data.pulseEvents;
      assert.equal(e.id, ev.cursor, 'the SSE id is the event cursor');
    }
    const lastSeen = first.events[1].id;
    first.close();

    // While nobody listens, two more answers.
    await answer(3);
    await answer(4);

    const second = await rawStream(url, { headers: { Accept: 'text/event-stream', 'Last-Event-ID': lastSeen } });
    await second.until(2);
    await sleep(300);
    await answer(5);
    await second.until(3);
    await sleep(300); // anything doubled would be here by now
    const answers = second.events.map((e) => JSON.parse(e.data).data.pulseEvents.payload.response.answer);
    assert.deepEqual(answers, ['answer 3', 'answer 4', 'answer 5']);
    second.close();

    // The access token never reaches the log.
    const log = await readFile(join(outputDir, 'protocol-sse-server-1.log'), 'utf8');
    assert.ok(!log.includes(teacher), 'the token is not in the server log');
    assert.ok(!log.includes('access_token='), 'nor the parameter');
  });

  await t.test('a shutdown ends the stream without complete; the client retries and resumes from its last cursor', async () => {
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'sse restart' });
    let connected = 0;
    const client = sseClient(server, teacher, {
      retryAttempts: 50,
      retry: () => sleep(200),
      on: { connected: () => connected++ },
    });
    // Resuming is the caller's: `after` is kept up to date in the request
    // the client sends again.
    const variables = { p: p.pulse.id, after: p.event.cursor };
    const answers = [];
    const op = collect(client, { query: pulseEvents, variables });
    const origNext = op.results.push.bind(op.results);
    op.results.push = (r) => {
      const ev = r.data?.pulseEvents;
      if (ev) {
        variables.after = ev.cursor;
        answers.push(ev.payload.response?.answer);
      }
      return origNext(r);
    };
    await sleep(300);
    await gql(server, students[6], respondMutation, { p: p.pulse.id, a: 'before the restart' });
    for (let i = 0; i < 60 && answers.length < 1; i++) await sleep(50);
    await server.stop();
    await gql(server, students[7], respondMutation, { p: p.pulse.id, a: 'while down' }).catch(() => {});
    await server.start();
    await gql(server, students[7], respondMutation, { p: p.pulse.id, a: 'after the restart' }).catch(() => {});
    for (let i = 0; i < 200 && answers.length < 2; i++) await sleep(50);
    await sleep(300);
    assert.deepEqual(answers, ['before the restart', 'after the restart']);
    assert.ok(connected >= 2, `reconnected (${connected} connections)`);
    assert.equal(op.error, undefined);
    assert.ok(!op.calls.includes('complete'), 'not completed by the shutdown');
    op.unsubscribe();
  });
});
