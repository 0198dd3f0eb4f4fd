// What the browser tests share: the real server binary (built once per test
// file into a temporary directory), tokens minted by `edupulse token`,
// GraphQL over HTTP from the test itself, and a headless Debian Chromium
// driven by playwright-core with a fresh profile.
import { spawn, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Screenshots and server logs (gitignored). */
export const outputDir = join(repoRoot, 'test-output');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A secret for the server and for `edupulse token` (test only). */
export const secret = 'browser-test-secret-' + randomUUID();

const cleanups = new WeakMap();

/**
 * Runs fn when test t ends, in the reverse order of registration (t.after
 * runs hooks in registration order): the browser closes before the server
 * stops, so that the server's graceful shutdown does not wait for the
 * browser's idle preconnected sockets.
 */
export function defer(t, fn) {
  let stack = cleanups.get(t);
  if (!stack) {
    stack = [];
    cleanups.set(t, stack);
    t.after(async () => {
      while (stack.length) await stack.pop()();
    });
  }
  stack.push(fn);
}

/** go build ./cmd/edupulse into a temporary directory; returns the binary. */
export async function buildServer(t) {
  const dir = await mkdtemp(join(tmpdir(), 'edupulse-e2e-bin-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  const bin = join(dir, 'edupulse');
  await run('go', ['build', '-o', bin, './cmd/edupulse'], { cwd: repoRoot, maxBuffer: 16 << 20 });
  return bin;
}

/**
 * A running edupulse: `start()` launches it on `addr` (127.0.0.1:0 the
 * first time: the port is read from its stdout, then kept so that a
 * restart comes back on the same address), `stop()` sends SIGTERM and waits
 * for it to exit (it closes websockets with 1012 first).
 */
export class Server {
  constructor(bin, dataDir, name, { devMode = false, env = {} } = {}) {
    this.bin = bin;
    this.dataDir = dataDir;
    this.name = name;
    this.devMode = devMode;
    /** More of the server's environment (EDUPULSE_TRUSTED_DOCUMENTS, …). */
    this.env = env;
    this.addr = '127.0.0.1:0';
    this.proc = undefined;
    this.starts = 0;
  }

  get url() {
    return 'http://' + this.addr;
  }

  async start() {
    await mkdir(outputDir, { recursive: true });
    this.starts++;
    const log = createWriteStream(join(outputDir, `${this.name}-server-${this.starts}.log`));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? tmpdir(),
      EDUPULSE_DATA_DIR: this.dataDir,
      EDUPULSE_HTTP_ADDR: this.addr,
      ...this.env,
    };
    // Development mode is the absence of a secret.
    if (!this.devMode) env.EDUPULSE_JWT_SECRET = secret;
    const proc = spawn(this.bin, ['serve'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stderr.pipe(log);
    const exited = once(proc, 'exit').then(([code, signal]) => {
      throw new Error(`edupulse exited before listening (code ${code}, signal ${signal}); see ${log.path}`);
    });
    const listening = new Promise((resolveListening) => {
      let buf = '';
      proc.stdout.on('data', (chunk) => {
        log.write(chunk);
        buf += chunk;
        const m = /listening on http:\/\/(\S+)/.exec(buf);
        if (m) resolveListening(m[1]);
      });
    });
    const timeout = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('edupulse did not listen within 60 s')), 60_000).unref(),
    );
    this.addr = await Promise.race([listening, exited, timeout]);
    exited.catch(() => {}); // from here on an exit is stop()'s business
  }

  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    this.proc = undefined;
  }
}

/** Starts a server on a fresh data dir, stopped when the test ends. */
export async function startServer(t, bin, name, opts) {
  const dataDir = await mkdtemp(join(tmpdir(), 'edupulse-e2e-data-'));
  const server = new Server(bin, dataDir, name, opts);
  defer(t, async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  await server.start();
  return server;
}

/** A token signed with the test secret, minted by the binary itself. */
export async function mintToken(bin, role, sub = randomUUID(), ttl = '1h') {
  const { stdout } = await run(bin, ['token', '--sub', sub, '--role', role, '--ttl', ttl], {
    env: { PATH: process.env.PATH, EDUPULSE_JWT_SECRET: secret },
  });
  return stdout.trim();
}

/** POST /query from the test; returns data, throws on any GraphQL error. */
export async function gql(server, token, query, variables = {}) {
  const res = await fetch(server.url + '/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export const respondMutation = `mutation Respond($p: UUID!, $a: String!, $c: Int) {
  respondToPulse(input: {pulseId: $p, answer: $a, confidence: $c}) { response { id answer } }
}`;

/**
 * Headless Chromium with a fresh profile (--user-data-dir, through
 * launchPersistentContext, which is how Playwright takes it), closed and
 * removed when the test ends.
 */
export async function launchBrowser(t) {
  const profile = await mkdtemp(join(tmpdir(), 'edupulse-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    viewport: { width: 1100, height: 800 },
  });
  defer(t, async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  return context;
}

export async function screenshot(page, name) {
  await mkdir(outputDir, { recursive: true });
  const path = join(outputDir, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
