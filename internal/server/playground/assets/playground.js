// playground.js starts GraphiQL on the page served at "/". It is a file of
// its own, not an inline script, so that the page's Content-Security-Policy
// can forbid inline scripts altogether. It runs as is in the browser: no
// build step, no JSX.
(function () {
  'use strict';

  const cfg = JSON.parse(document.getElementById('playground-config').textContent);
  const h = React.createElement;

  // createFetcher (graphiql 3, @graphiql/toolkit 0.11) sends queries and
  // mutations over HTTP with the headers editor's headers, and opens a
  // graphql-ws (graphql-transport-ws) client for each subscription whose
  // connectionParams are those same headers: {"Authorization": "Bearer …"}
  // typed in the editor becomes the connection_init payload, with the token
  // current when the subscription starts. (Its wsConnectionParams option
  // cannot be a function: the toolkit spreads it into an object.)
  const fetcher = GraphiQL.createFetcher({
    url: location.origin + '/query',
    subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/query',
    // The server does not stream @defer/@stream: plain JSON over POST.
    enableIncrementalDelivery: false,
  });

  // The dev-token panel exists only in development mode, where the server
  // hands its freshly minted tokens to the page.
  function DevTokens() {
    const editors = GraphiQL.React.useEditorContext({ nonNull: true, caller: DevTokens });
    const use = (token) => {
      if (editors.headerEditor) {
        editors.headerEditor.setValue(JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2));
      }
    };
    return h('div', { className: 'edupulse-dev-tokens' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Dev tokens'),
      h('p', null, 'Development mode. Choose a role: its token replaces the ' +
        'Authorization header and is used from the next request or subscription on.'),
      cfg.devTokens.map((t) => h('div', { key: t.role, className: 'edupulse-token' },
        h('button', { type: 'button', className: 'graphiql-button', onClick: () => use(t.token) }, 'Use ' + t.role),
        h('code', null, t.token))));
  }

  function KeyIcon() {
    return h('svg', { viewBox: '0 0 24 24', width: 24, height: 24, fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': true },
      h('circle', { cx: 8, cy: 15, r: 4 }),
      h('path', { d: 'M11 12l9-9M17 6l3 3M15 8l2 2' }));
  }

  const plugins = cfg.devTokens.length ? [{ title: 'Dev tokens', icon: KeyIcon, content: DevTokens }] : [];

  const props = {
    fetcher,
    plugins,
    defaultQuery: cfg.defaultQuery,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: 'headers',
  };
  if (cfg.headers) {
    // Development: the fresh token wins over anything stored by an earlier
    // run, whose tokens may have expired since (or belong to another data
    // dir's secret).
    props.headers = cfg.headers;
    props.defaultHeaders = cfg.headers;
    props.visiblePlugin = plugins[0];
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(h(GraphiQL, props));
})();
