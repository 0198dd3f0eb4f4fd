#!/bin/sh
# refresh.sh re-downloads the playground's browser assets from the npm
# registry and rewrites assets/VERSIONS.txt and assets/LICENSES.txt.
#
#   ./refresh.sh                      # the pinned versions below
#   GRAPHIQL=3.9.0 ./refresh.sh       # another graphiql 3.x
#
# graphiql 4 and later publish no UMD build (they are ES modules meant for a
# bundler), which is why this stays on graphiql 3 and React 18.
set -eu

GRAPHIQL=${GRAPHIQL:-3.9.0}
REACT=${REACT:-18.3.1}
GRAPHQL=${GRAPHQL:-16.15.0}
GRAPHQL_WS=${GRAPHQL_WS:-6.4.2}

here=$(cd "$(dirname "$0")" && pwd)
out=$here/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
# --ignore-scripts: nothing from the registry runs on this machine.
npm install --ignore-scripts --no-audit --no-fund --save-exact \
	"graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" \
	"graphql@$GRAPHQL" "graphql-ws@$GRAPHQL_WS" >/dev/null

nm=$work/node_modules
cp "$nm/graphiql/graphiql.min.js" "$nm/graphiql/graphiql.min.css" "$out/"
cp "$nm/react/umd/react.production.min.js" "$out/"
cp "$nm/react-dom/umd/react-dom.production.min.js" "$out/"

# The versions npm actually resolved, and every package the graphiql bundle
# contains according to its source map (graphql, graphql-ws, codemirror, ...
# are inside graphiql.min.js, not separate files).
node - "$nm" "$out" <<'JS'
const fs = require('fs'), path = require('path');
const [nm, out] = process.argv.slice(2);
// dir finds a package at the top of node_modules or, failing that, nested
// under another package (npm installs conflicting versions there).
const dir = (n) => {
  if (fs.existsSync(path.join(nm, n, 'package.json'))) return path.join(nm, n);
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = path.join(d, e.name);
      if (e.name === 'node_modules' && fs.existsSync(path.join(sub, n, 'package.json'))) return path.join(sub, n);
      const r = walk(sub);
      if (r) return r;
    }
    return null;
  };
  return walk(nm);
};
// A package that upstream inlined at build time but that is not a runtime
// dependency is not installed here: ask the registry for its licence.
const remote = (n) => {
  try {
    const j = JSON.parse(require('child_process').execFileSync('npm', ['view', '--json', n, 'version', 'license'], { encoding: 'utf8' }));
    return { version: j.version + ' (latest, not installed)', license: j.license };
  } catch { return null; }
};
const cache = new Map();
const pkg = (n) => {
  if (!cache.has(n)) { const d = dir(n); cache.set(n, d ? JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')) : remote(n)); }
  return cache.get(n);
};
const map = JSON.parse(fs.readFileSync(path.join(nm, 'graphiql/graphiql.min.js.map'), 'utf8'));
const bundled = new Set();
for (const s of map.sources) {
  const m = s.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/);
  if (m) bundled.add(m[1]);
}
const shipped = ['graphiql', 'react', 'react-dom'];
const names = [...new Set([...shipped, ...[...bundled].sort()])];
const v = (n) => (pkg(n) || {}).version || '?';
let txt = 'Files in this directory and the npm packages they come from\n' +
  '(written by ../refresh.sh; edit that script, not this file).\n\n' +
  'graphiql.min.js, graphiql.min.css  graphiql@' + v('graphiql') + ' (UMD build)\n' +
  'react.production.min.js            react@' + v('react') + ' (umd/)\n' +
  'react-dom.production.min.js        react-dom@' + v('react-dom') + ' (umd/)\n' +
  'playground.js, playground.css      ours, not from npm\n\n' +
  'Bundled inside graphiql.min.js (from its source map; the version is the one\n' +
  'npm installed alongside, the bundle may hold another patch release):\n';
for (const n of [...bundled].sort()) txt += '  ' + n + '@' + v(n) + ' ' + ((pkg(n) || {}).license || '') + '\n';
fs.writeFileSync(path.join(out, 'VERSIONS.txt'), txt);

let lic = 'Licences of the npm packages shipped in this directory, including those\n' +
  'bundled inside graphiql.min.js. Written by ../refresh.sh.\n';
for (const n of names) {
  const d = dir(n);
  const f = d && fs.readdirSync(d).find((f) => /^(licen[cs]e|copying)(\.md|\.txt)?$/i.test(f));
  const p = pkg(n) || {};
  lic += '\n' + '='.repeat(78) + '\n' + n + '@' + (p.version || '?') + ' (' + (p.license || 'see package') + ')\n' + '='.repeat(78) + '\n\n';
  lic += f ? fs.readFileSync(path.join(d, f), 'utf8').trim() + '\n' : 'Licence file not published in the package; declared licence: ' + (p.license || 'unknown') + '\n';
}
fs.writeFileSync(path.join(out, 'LICENSES.txt'), lic);
JS
echo "assets refreshed in $out"
