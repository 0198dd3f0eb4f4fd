#!/usr/bin/env node
// Type-checks every ```ts block of README.md under `strict`, with the
// TypeScript and the packages web/ installs (run `npm ci` in web/ first):
//
//   node scripts/check-readme.mjs [README.md]
//
// Each block is a module of its own, in a temporary directory next to a
// copy of web/'s generated types (src/gql/), so that a snippet imports
// what a client generated with the client preset would:
// `import { PulseEventsDocument } from './gql/graphql'`. Names a snippet
// leaves to the reader are declared in it (`declare function show(…)`).
// Errors are reported at the README's line numbers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = path.resolve(process.argv[2] ?? path.join(root, 'README.md'));
const web = path.join(root, 'web');
const tsc = path.join(web, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  console.error(`check-readme: ${path.relative(process.cwd(), tsc)} is missing: run \`npm ci\` in web/ first`);
  process.exit(2);
}

// Blocks: the line after the opening fence, and the text.
const lines = fs.readFileSync(readme, 'utf8').split('\n');
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  if (!/^```ts\s*$/.test(lines[i])) continue;
  const start = i + 1;
  let end = start;
  while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
  blocks.push({ line: start + 1, text: lines.slice(start, end).join('\n') });
  i = end;
}
if (blocks.length === 0) {
  console.error(`check-readme: no \`\`\`ts block in ${readme}`);
  process.exit(1);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edupulse-readme-'));
try {
  fs.symlinkSync(path.join(web, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.cpSync(path.join(web, 'src', 'gql'), path.join(dir, 'src', 'gql'), { recursive: true });
  const files = blocks.map((b) => {
    const name = `readme-line-${b.line}.ts`;
    // export {} keeps a block without imports a module, with its own scope.
    fs.writeFileSync(path.join(dir, 'src', name), `${b.text}\nexport {};\n`);
    return `src/${name}`;
  });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      module: 'ESNext',
      moduleResolution: 'bundler',
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true,
    },
    files,
  }, null, 2));
  const run = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
  const out = (run.stdout + run.stderr).replace(/\S*src\/readme-line-(\d+)\.ts\((\d+),(\d+)\)/g,
    (_, block, line, col) => `README.md:${Number(block) + Number(line) - 1}:${col}`);
  if (run.status !== 0) {
    process.stderr.write(out);
    console.error(`check-readme: the TypeScript of ${path.relative(process.cwd(), readme)} does not compile under strict`);
    process.exit(1);
  }
  console.log(`check-readme: ${blocks.length} TypeScript blocks compile under strict`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
