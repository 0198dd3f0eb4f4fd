#!/usr/bin/env node
// npm run check: fails when what is committed under web/ is not what the
// sources make.
//
//   1. src/gql/ is regenerated from ../schema.graphqls and the documents in
//      src/ into a temporary directory and compared with the committed
//      files: a schema change that the generated types do not reflect fails
//      here (run `npm run codegen` and commit src/gql/).
//   2. tsc --noEmit: the page type-checks against those types, so a field
//      the schema renamed or removed fails the check.
//   3. dist/ is rebuilt into a temporary directory and compared byte for
//      byte with the committed dist/, which the Go binary embeds: a source
//      change without a rebuild fails (run `npm run build` and commit
//      dist/). The build is deterministic (content-hashed names, no
//      timestamps), so the same sources and lockfile give the same bytes.
//
// Nothing in the working tree is modified.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(webDir, 'node_modules', '.bin', name);

function run(step, cmd, args, env = {}) {
  const show = (a) => (a.startsWith(webDir + '/') ? relative(webDir, a) : a);
  console.log(`\n--- ${step}: ${[cmd, ...args].map(show).join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: webDir, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`check: ${step} failed`);
    process.exit(1);
  }
}

/** Relative path → SHA-256 of every file under dir. */
function digest(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** The differences between two trees, as lines; [] when identical. */
function compare(committed, fresh) {
  const a = digest(committed);
  const b = digest(fresh);
  const diffs = [];
  for (const [p, h] of a) {
    if (!b.has(p)) diffs.push(`  only in the committed tree: ${p}`);
    else if (b.get(p) !== h) diffs.push(`  differs: ${p}`);
  }
  for (const p of b.keys()) if (!a.has(p)) diffs.push(`  missing from the committed tree: ${p}`);
  return diffs;
}

const tmp = mkdtempSync(join(tmpdir(), 'edupulse-web-check-'));
let failed = false;
try {
  const gqlOut = join(tmp, 'gql');
  run('codegen', bin('graphql-codegen'), ['--config', 'codegen.ts', '--silent'], { GQL_OUT: gqlOut + '/' });
  const gqlDiffs = compare(join(webDir, 'src', 'gql'), gqlOut);
  if (gqlDiffs.length) {
    failed = true;
    console.error('check: web/src/gql/ is out of date with ../schema.graphqls or the documents in src/:');
    console.error(gqlDiffs.join('\n'));
    console.error('  fix: cd web && npm run codegen, then commit web/src/gql/');
  } else {
    console.log('src/gql/ matches the schema and the documents');
  }

  run('typecheck', bin('tsc'), ['--noEmit']);

  const distOut = join(tmp, 'dist');
  run('build', bin('vite'), ['build', '--logLevel', 'warn', '--outDir', distOut, '--emptyOutDir']);
  const distDiffs = compare(join(webDir, 'dist'), distOut);
  if (distDiffs.length) {
    failed = true;
    console.error('check: web/dist/ (embedded in the binary) is not the build of the current sources:');
    console.error(distDiffs.join('\n'));
    console.error('  fix: cd web && npm run build, then commit web/dist/');
  } else {
    console.log('dist/ is the build of the current sources');
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (failed) process.exit(1);
console.log('\ncheck: ok');
