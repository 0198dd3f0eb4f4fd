// Where the page's bearer token comes from: pasted into the token field,
// given in the URL fragment (#token=…, which never reaches a server log
// since browsers do not send fragments), or, in development mode only, one
// of the tokens the server printed at start, offered by
// GET /app/dev-tokens.json (404 in production).

const STORAGE_KEY = 'edupulse.token';

export interface DevToken {
  role: string;
  token: string;
}

export interface TokenClaims {
  sub?: string;
  role?: string;
  exp?: number;
}

/** The fragment's parameters: #token=…&pulse=…&view=student. */
export function fragmentParams(): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

/** Rewrites the fragment without reloading or adding a history entry. */
export function setFragment(params: URLSearchParams): void {
  const hash = params.toString();
  history.replaceState(null, '', location.pathname + location.search + (hash ? '#' + hash : ''));
}

/**
 * The token from the fragment (which is then removed from the address bar,
 * so that it is not left in the history or a shared screenshot), else the
 * one kept for this tab.
 */
export function initialToken(): string {
  const params = fragmentParams();
  const fromFragment = params.get('token')?.trim();
  if (fromFragment) {
    params.delete('token');
    setFragment(params);
    saveToken(fromFragment);
    return fromFragment;
  }
  return sessionStorage.getItem(STORAGE_KEY) ?? '';
}

export function saveToken(token: string): void {
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * The claims of a JWT, read without verifying it (the server does that):
 * only to choose a view and show who the page acts as.
 */
export function readClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? (claims as TokenClaims) : null;
  } catch {
    return null;
  }
}

/** The development tokens, or [] when the server is not in development mode. */
export async function fetchDevTokens(): Promise<DevToken[]> {
  try {
    const res = await fetch(new URL('dev-tokens.json', location.origin + '/app/'), { cache: 'no-store' });
    if (!res.ok) return [];
    const body: unknown = await res.json();
    if (!Array.isArray(body)) return [];
    return body.filter(
      (t): t is DevToken => typeof t?.role === 'string' && typeof t?.token === 'string',
    );
  } catch {
    return [];
  }
}
