// Package event owns the domain events of the web_social context: the
// envelope, the eight kinds, the aggregate each belongs to, its bus subject
// and the JSON codec that is byte-compatible with the seed's serde encoding.
//
// It does no I/O and imports nothing of this module, so that every other
// package (store, relay, hub, API) agrees on one definition of an event.
package event
