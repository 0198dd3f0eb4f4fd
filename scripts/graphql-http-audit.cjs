#!/usr/bin/env node
// Runs the GraphQL-over-HTTP conformance audit of the graphql-http package
// (https://github.com/graphql/graphql-http, `auditServer`) against a running
// server and prints each result; exits 1 when a MUST item fails.
//
// Not run in CI yet. By hand:
//
//   go run ./cmd/edupulse &                       # or any running server
//   npm install --prefix "$SCRATCH" graphql-http graphql
//   NODE_PATH="$SCRATCH/node_modules" node scripts/graphql-http-audit.cjs [url]
//
// The url defaults to http://127.0.0.1:8080/query. The audit sends only
// `{ __typename }`-style operations, which need no token.
'use strict';

const { auditServer } = require('graphql-http');

async function main() {
  const url = process.argv[2] || process.env.EDUPULSE_GRAPHQL_URL || 'http://127.0.0.1:8080/query';
  const results = await auditServer({ url });
  const count = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
  for (const r of results) {
    const level = r.name.split(' ')[0];
    const ok = r.status === 'ok';
    count[level][ok ? 0 : 1]++;
    const mark = ok ? 'ok  ' : r.status === 'warn' ? 'WARN' : 'FAIL';
    console.log(`${mark} ${r.id} ${r.name}`);
    if (!ok) {
      let body = '';
      try {
        body = r.response ? await r.response.text() : '';
      } catch (e) {
        body = '';
      }
      const status = r.response ? r.response.status : '-';
      console.log(`       ${r.reason} (HTTP ${status}${body ? ', body ' + body.slice(0, 200) : ''})`);
    }
  }
  for (const [level, [ok, failed]] of Object.entries(count)) {
    console.log(`${level}: ${ok} passed, ${failed} failed`);
  }
  process.exitCode = count.MUST[1] > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
