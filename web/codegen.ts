// GraphQL Code Generator: typed documents for the operations in src/, from
// the repository's schema (the same file the server embeds and serves at
// /schema.graphql). `npm run codegen` writes src/gql/ (committed);
// `npm run check` regenerates into a temporary directory (GQL_OUT) and fails
// when the committed files differ.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphqls',
  documents: ['src/**/*.ts', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    [process.env.GQL_OUT ?? './src/gql/']: {
      preset: 'client',
      presetConfig: {
        // Plain result types: no fragment masking to unwrap.
        fragmentMasking: false,
        // Each document gets its hash (__meta__.hash, "sha256:<hex>"), and
        // persisted-documents.json (hash → the text the server runs) is
        // written beside the types: the file a server started with
        // EDUPULSE_TRUSTED_DOCUMENTS accepts, and nothing else. The texts stay
        // in the bundle for servers that do not have the file (src/documents.ts).
        persistedDocuments: true,
      },
      config: {
        // Documents as strings (TypedDocumentString): graphql-ws and fetch
        // send the text, so no GraphQL parser or printer in the bundle.
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        // The custom scalars travel as JSON strings (Int64 too, so that
        // JavaScript never loses precision).
        scalars: {
          UUID: 'string',
          DateTime: 'string',
          Int64: 'string',
        },
        strictScalars: true,
      },
    },
  },
};

export default config;
