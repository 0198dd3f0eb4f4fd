// graphql-transport-ws as the graphql-ws npm client sees it, against the
// real binary: every close code the server uses, and the rule that an
// `error` ends an operation with no `complete` after it (contract §5).
//
// The client is the library itself, on the `ws` package. Where a close code
// answers something the library never sends (a second connection_init, a
// subscribe before it), the socket under the client rewrites its outgoing
// frames: the client then reports what a real client would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { buildServer, gql, mintToken, respondMutation, sleep, startServer } from './harness.mjs';

const createPulse = `mutation($t: String!) { createPulse(input: {title: $t}) { pulse { id } event { cursor } } }`;
const pulseEvents = `subscription($p: UUID!, $after: String) {
  pulseEvents(pulseId: $p, after: $after) { id cursor type }
}`;

/**
 * A ws WebSocket whose outgoing frames go through `rewrite` (message →
 * frames to send instead) and whose incoming messages are recorded.
 */
function socketClass(rewrite, received) {
  return class extends WebSocket {
    constructor(...args) {
      super(...args);
      this.on('message', (data) => received.push(JSON.parse(String(data))));
    }
    send(data) {
      for (const frame of rewrite(JSON.parse(String(data)))) {
        super.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      }
    }
  };
}

/**
 * A graphql-ws client on server with token; `rewrite` may change what it
 * sends. Returns the client, the frames received, the close events, and
 * `closed`: a promise of the first close.
 */
function wsClient(server, token, { rewrite = (m) => [m], ...options } = {}) {
  const received = [];
  const closes = [];
  let onClose;
  const closed = new Promise((r) => (onClose = r));
  const client = createClient({
    url: server.url.replace(/^http/, 'ws') + '/query',
    webSocketImpl: socketClass(rewrite, received),
    connectionParams: token === undefined ? undefined : { Authorization: 'Bearer ' + token },
    retryAttempts: 0,
    lazy: true,
    ...options,
    on: {
      closed: (e) => {
        closes.push({ code: e.code, reason: e.reason });
        onClose({ code: e.code, reason: e.reason });
      },
      ...options.on,
    },
  });
  return { client, received, closes, closed };
}

/**
 * Subscribes and collects until the sink ends: { results, error, completed,
 * done } where done resolves at error or complete.
 */
function collect(client, payload) {
  const out = { results: [], error: undefined, completed: false, ends: 0 };
  out.done = new Promise((resolve) => {
    out.unsubscribe = client.subscribe(payload, {
      next: (v) => out.results.push(v),
      error: (e) => {
        out.error = e;
        out.ends++;
        resolve();
      },
      complete: () => {
        out.completed = true;
        out.ends++;
        resolve();
      },
    });
  });
  return out;
}

/** promise, or a failure naming what did not happen within ms. */
function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** The frames received for operation id, by type. */
const framesFor = (received, id) => received.filter((m) => m.id === id).map((m) => m.type);

test('graphql-ws client against the server (graphql-transport-ws)', async (t) => {
  const bin = await buildServer(t);
  const server = await startServer(t, bin, 'protocol-ws');
  const teacher = await mintToken(bin, 'teacher');
  const student = await mintToken(bin, 'student');

  await t.test('a query: next, then complete', async () => {
    const c = wsClient(server, teacher);
    const op = collect(c.client, { query: '{ viewer { role } }' });
    await within(op.done, 5000, 'the query ends');
    assert.deepEqual(op.results, [{ data: { viewer: { role: 'TEACHER' } } }]);
    assert.equal(op.completed, true);
    const id = c.received.find((m) => m.type === 'next').id;
    assert.deepEqual(framesFor(c.received, id), ['next', 'complete']);
    await within(c.client.dispose(), 3000, 'dispose');
    assert.equal((await within(c.closed, 3000, "close")).code, 1000, "the client's own close");
  });

  await t.test('a subscription: events as next, in order; unsubscribe', async () => {
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'protocol' });
    const c = wsClient(server, teacher);
    const op = collect(c.client, { query: pulseEvents, variables: { p: p.pulse.id, after: p.event.cursor } });
    const s1 = await mintToken(bin, 'student');
    const s2 = await mintToken(bin, 'student');
    await gql(server, s1, respondMutation, { p: p.pulse.id, a: 'one' });
    await gql(server, s2, respondMutation, { p: p.pulse.id, a: 'two' });
    for (let i = 0; i < 100 && op.results.length < 2; i++) await sleep(50);
    assert.deepEqual(op.results.map((r) => r.data.pulseEvents.type), [
      'LEARNING_PULSE_RESPONDED',
      'LEARNING_PULSE_RESPONDED',
    ]);
    op.unsubscribe();
    await within(c.client.dispose(), 3000, 'dispose');
  });

  /** Runs the operations on one connection; each must end with an error and nothing after it. */
  async function refusedBeforeExecution(token, cases) {
    // The socket kept between operations (the client is lazy), so that
    // every frame is on one connection.
    const c = wsClient(server, token, { lazyCloseTimeout: 60_000 });
    const ops = Object.fromEntries(Object.entries(cases).map(([name, [payload]]) => [name, collect(c.client, payload)]));
    await within(Promise.all(Object.values(ops).map((o) => o.done)), 5000, 'every refused operation ends');
    // A later operation on the same connection: a `complete` sent after an
    // `error` would have come before its frames.
    const after = collect(c.client, { query: '{ viewer { id } }' });
    await within(after.done, 5000, 'the later query ends');
    await sleep(300);
    for (const [name, op] of Object.entries(ops)) {
      assert.ok(Array.isArray(op.error), `${name}: the sink's error is the server's errors (${JSON.stringify(op)})`);
      assert.equal(op.completed, false, `${name}: not completed`);
      assert.equal(op.ends, 1, name);
      assert.equal(op.error[0].extensions?.code, cases[name][1], name);
    }
    const errorIds = c.received.filter((m) => m.type === 'error').map((m) => m.id);
    assert.equal(errorIds.length, Object.keys(cases).length);
    for (const id of errorIds) {
      assert.deepEqual(framesFor(c.received, id), ['error'], `operation ${id}: an error and nothing after it`);
    }
    assert.equal(c.closes.length, 0, 'the connection stays open');
    await within(c.client.dispose(), 3000, 'dispose');
  }

  await t.test('error ends an operation, never followed by complete', () =>
    refusedBeforeExecution(student, {
      'a validation error': [{ query: 'subscription { nope }' }, 'BAD_USER_INPUT'],
      'a parse error': [{ query: 'subscription {' }, 'BAD_USER_INPUT'],
      'an unknown persisted query': [
        { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
        'PERSISTED_QUERY_NOT_FOUND',
      ],
    }));

  await t.test('a permission error is an error, never followed by complete', () =>
    refusedBeforeExecution(student, {
      'events is for admins': [{ query: 'subscription { events { id } }' }, 'FORBIDDEN'],
    }));

  await t.test('errors while executing: a next carrying them, then complete', async () => {
    const c = wsClient(server, teacher);
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'exec errors' });
    const cases = {
      'a malformed cursor': { query: pulseEvents, variables: { p: p.pulse.id, after: 'not-a-cursor' } },
      'an unknown pulse (pulseState: NOT_FOUND)': {
        query: 'subscription($id: UUID!) { pulseState(id: $id) { id } }',
        variables: { id: crypto.randomUUID() },
      },
    };
    for (const [name, payload] of Object.entries(cases)) {
      const op = collect(c.client, payload);
      await within(op.done, 5000, name);
      assert.equal(op.error, undefined, `${name}: no error message`);
      assert.equal(op.completed, true, `${name}: completed`);
      assert.equal(op.results.length, 1, name);
      assert.ok(op.results[0].errors?.length, `${name}: the next carries errors`);
      t.diagnostic(`${name}: next with ${op.results[0].errors[0].extensions?.code}, then complete`);
    }
    await within(c.client.dispose(), 3000, 'dispose');
  });

  await t.test('too many subscriptions on one connection: an error (RATE_LIMITED), the connection stays', async () => {
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'many' });
    const c = wsClient(server, teacher);
    const ops = [];
    for (let i = 0; i < 21; i++) ops.push(collect(c.client, { query: pulseEvents, variables: { p: p.pulse.id } }));
    const refused = await Promise.race([
      Promise.any(ops.map((o) => o.done.then(() => o))),
      sleep(5000).then(() => undefined),
    ]);
    assert.ok(refused, 'one of 21 subscriptions was refused');
    assert.equal(refused.error?.[0]?.extensions?.code, 'RATE_LIMITED');
    await sleep(200);
    assert.equal(ops.filter((o) => o.ends).length, 1, 'the other 20 run on');
    assert.equal(c.closes.length, 0);
    for (const o of ops) o.unsubscribe();
    await within(c.client.dispose(), 3000, 'dispose');
  });

  // The close codes, as the client reports them: the close event (to
  // on.closed and to the sink's error), and whether it would try again.
  const closeCases = [
    {
      code: 4403,
      name: 'a bad token',
      token: 'not.a.jwt',
    },
    {
      code: 4403,
      name: 'a missing token',
      token: undefined,
    },
    {
      code: 4400,
      name: 'a connection_init payload that is not an object (at once)',
      rewrite: (m) => [m.type === 'connection_init' ? { type: 'connection_init', payload: 'Bearer x' } : m],
      within: 2000,
    },
    {
      code: 4400,
      name: 'a frame that is not a message',
      rewrite: (m) => (m.type === 'subscribe' ? ['{"this is": "not a message"}'] : [m]),
    },
    {
      code: 4401,
      name: 'a subscribe before connection_init',
      rewrite: (m) =>
        m.type === 'connection_init'
          ? [{ id: 'early', type: 'subscribe', payload: { query: '{ viewer { id } }' } }, m]
          : [m],
    },
    {
      code: 4409,
      name: 'two subscriptions with one id',
      options: { generateID: () => 'the-same-id' },
      twice: true,
    },
    {
      code: 4429,
      name: 'a second connection_init',
      rewrite: (m) => (m.type === 'connection_init' ? [m, m] : [m]),
    },
    {
      code: 4408,
      name: 'no connection_init within the init timeout',
      rewrite: (m) => (m.type === 'connection_init' ? [] : [m]),
      within: 15_000,
    },
  ];
  const { createPulse: open } = await gql(server, teacher, createPulse, { t: 'close codes' });
  for (const cc of closeCases) {
    await t.test(`${cc.code}: ${cc.name}`, async () => {
      const token = 'token' in cc ? cc.token : teacher;
      const c = wsClient(server, token, { rewrite: cc.rewrite, ...cc.options });
      const started = Date.now();
      const ops = [collect(c.client, { query: pulseEvents, variables: { p: open.pulse.id } })];
      if (cc.twice) {
        await sleep(100);
        ops.push(collect(c.client, { query: pulseEvents, variables: { p: open.pulse.id } }));
      }
      const closed = await Promise.race([c.closed, sleep(cc.within ?? 5000).then(() => ({ code: 'none' }))]);
      const took = Date.now() - started;
      assert.equal(closed.code, cc.code, `closed with ${cc.code} (${JSON.stringify(closed)}, after ${took} ms)`);
      await Promise.race([Promise.all(ops.map((o) => o.done)), sleep(1000)]);
      const ended = ops.filter((o) => o.error);
      assert.ok(ended.length >= 1, 'the sink learnt of it');
      for (const o of ended) assert.equal(o.error.code, cc.code, 'the sink has the close event');
      t.diagnostic(`${cc.code} "${closed.reason}" after ${took} ms`);
      await within(c.client.dispose(), 3000, 'dispose');
    });
  }

  await t.test('4403: the token expires while connected', async () => {
    const short = await mintToken(bin, 'teacher', crypto.randomUUID(), '3s');
    const c = wsClient(server, short);
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'expiry' });
    const op = collect(c.client, { query: pulseEvents, variables: { p: p.pulse.id } });
    const closed = await Promise.race([c.closed, sleep(8000).then(() => ({ code: 'none' }))]);
    assert.equal(closed.code, 4403);
    await within(op.done, 2000, 'the sink ends');
    assert.equal(op.error?.code, 4403);
    await within(c.client.dispose(), 3000, 'dispose');
  });

  await t.test('1012: the server restarts; the client reconnects and subscribes again', async () => {
    const { createPulse: p } = await gql(server, teacher, createPulse, { t: 'restart' });
    let connections = 0;
    const c = wsClient(server, teacher, {
      retryAttempts: Infinity,
      retryWait: () => sleep(200),
      // As the page's client: a refused connection (the server still down)
      // is worth another try too, not only a close event.
      shouldRetry: () => true,
      on: { connected: () => connections++ },
    });
    const op = collect(c.client, { query: pulseEvents, variables: { p: p.pulse.id } });
    for (let i = 0; i < 100 && connections === 0; i++) await sleep(50);
    await sleep(300); // the subscription registered
    await server.stop();
    const closed = await within(c.closed, 20_000, 'the close on shutdown');
    assert.equal(closed.code, 1012);
    await server.start();
    for (let i = 0; i < 200 && connections < 2; i++) await sleep(50);
    assert.equal(connections, 2, 'reconnected');
    await sleep(300);
    await gql(server, await mintToken(bin, 'student'), respondMutation, { p: p.pulse.id, a: 'after restart' });
    for (let i = 0; i < 100 && op.results.length === 0; i++) await sleep(50);
    assert.equal(op.results.length, 1, 'the resubscription delivers');
    assert.equal(op.error, undefined);
    op.unsubscribe();
    await within(c.client.dispose(), 3000, 'dispose');
  });
});
