// Queries and mutations over HTTP (POST /query), typed by the generated
// documents.
import { PERSISTED_QUERY_NOT_FOUND, documentRef, sentByHash, serverWantsTexts } from './documents';
import type { TypedDocumentString } from './gql/graphql';

/** One GraphQL error as the server sends it (contract §4). */
export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; lastCursor?: string; [key: string]: unknown };
}

/** A failed operation: the server's GraphQL errors, or a transport failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly errors: GraphQLErrorShape[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The first error's extensions.code, or the fallback. */
export function errorCode(errors: readonly GraphQLErrorShape[] | undefined, fallback = 'UNKNOWN'): string {
  return errors?.find((e) => typeof e.extensions?.code === 'string')?.extensions?.code ?? fallback;
}

export function describeErrors(errors: readonly GraphQLErrorShape[]): string {
  return errors
    .map((e) => {
      const code = e.extensions?.code ? `${e.extensions.code}: ` : '';
      const field = e.extensions?.field ? ` (${e.extensions.field})` : '';
      return code + e.message + field;
    })
    .join('; ');
}

/** The endpoint on this page's own origin: the binary serves both. */
export const httpURL = new URL('/query', location.href).toString();
export const wsURL = httpURL.replace(/^http/, 'ws');

/**
 * Runs a query or mutation with the bearer token and returns its data, or
 * throws an ApiError carrying the server's error codes. The document goes
 * by hash (src/documents.ts); a server that does not know the hash gets
 * the text instead.
 */
export async function execute<TResult, TVariables>(
  token: string,
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  const ref = documentRef(document);
  try {
    return await post<TResult>(token, { ...ref, variables: variables ?? {} });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === PERSISTED_QUERY_NOT_FOUND && sentByHash(ref))) throw err;
    serverWantsTexts();
    return post<TResult>(token, { ...documentRef(document), variables: variables ?? {} });
  }
}

async function post<TResult>(token: string, body: object): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(httpURL, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(`network error: ${String(err)}`, 'NETWORK');
  }
  let result: { data?: TResult | null; errors?: GraphQLErrorShape[] };
  try {
    result = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status}: not a GraphQL response`, 'HTTP_' + response.status);
  }
  if (result.errors?.length) {
    throw new ApiError(describeErrors(result.errors), errorCode(result.errors), result.errors);
  }
  if (!result.data) {
    throw new ApiError(`HTTP ${response.status}: no data`, 'HTTP_' + response.status);
  }
  return result.data;
}
