import { defineConfig } from 'vite';

// The built page is committed (dist/) and embedded in the Go binary, which
// serves it at /app/. The build must be reproducible: the same sources and
// lockfile give byte-identical files (content-hashed names, no timestamps,
// no absolute paths), which `npm run check` verifies.
export default defineConfig({
  base: '/app/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // No inline polyfill script: the page's Content-Security-Policy allows
    // scripts from this origin only, and every supported browser has
    // modulepreload.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev`: the page on Vite's server, the API on a local edupulse.
    proxy: {
      '/query': { target: 'http://127.0.0.1:8080', ws: true },
      '/app/dev-tokens.json': 'http://127.0.0.1:8080',
    },
  },
});
