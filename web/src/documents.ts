// How the page names its operations to the server (contract §9).
//
// Every document is built with its hash (codegen's persisted documents:
// src/gql/persisted-documents.json maps each hash to the text the server
// runs). The production build sends the hash only, as Apollo's persisted
// query extension, which every transport carries (HTTP, websocket, SSE):
// a server started with EDUPULSE_TRUSTED_DOCUMENTS set to that file runs
// these operations and nothing else, and never sees a document's text.
//
// A server without the file answers the first hash with
// PERSISTED_QUERY_NOT_FOUND; from then on this page sends the texts. (They
// are not registered as APQ: the bundle holds each document as written in
// the source, and its hash is that of the normalised text in the file.)
// The development build (vite dev) sends texts from the start.
import type { TypedDocumentString } from './gql/graphql';

export const PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND';

/** Apollo's persisted query extension, naming a document by its SHA-256. */
export type PersistedQueryExtension = {
  persistedQuery: { version: 1; sha256Hash: string };
};

/** A GraphQL request's document part: its text, or its hash. */
export interface DocumentRef {
  query?: string;
  extensions?: PersistedQueryExtension;
}

let sendTexts = !import.meta.env.PROD;

/** The hex SHA-256 codegen gave a document, if any. */
export function documentHash<R, V>(doc: TypedDocumentString<R, V>): string | undefined {
  const hash: unknown = doc.__meta__?.hash;
  return typeof hash === 'string' ? hash.replace(/^sha256:/, '') : undefined;
}

/**
 * The document as this page sends it now: by hash, unless the server has
 * said it does not know the hashes (or this is a development build).
 */
export function documentRef<R, V>(doc: TypedDocumentString<R, V>): DocumentRef {
  const hash = documentHash(doc);
  if (sendTexts || !hash) return { query: doc.toString() };
  return { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
}

/** Whether ref names its document by hash alone. */
export function sentByHash(ref: DocumentRef): boolean {
  return ref.query === undefined && ref.extensions !== undefined;
}

/**
 * Called when a request sent by hash was answered PERSISTED_QUERY_NOT_FOUND:
 * this server has no trusted documents, so texts are sent from now on.
 */
export function serverWantsTexts(): void {
  sendTexts = true;
}

/** Whether the page currently sends texts (for the page's own status). */
export function sendsTexts(): boolean {
  return sendTexts;
}
