// Package edupulse holds what belongs to the repository as a whole: the
// GraphQL schema (schema.graphqls, the single source gqlgen generates from)
// embedded for GET /schema.graphql.
package edupulse

import _ "embed"

// Schema is the SDL of the public GraphQL API.
//
//go:embed schema.graphqls
var Schema []byte
