// Package web is the browser client served at /app/: its TypeScript
// sources, and its build (dist/), which is committed and embedded here so
// that building the Go binary never needs Node.js. See README.md for why,
// and for how to rebuild dist/ after changing the sources.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist returns the built client: index.html at its root, the content-hashed
// scripts and stylesheets under assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "dist" is valid.
		panic(err)
	}
	return sub
}
