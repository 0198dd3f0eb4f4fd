package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is stamped at build time (-ldflags "-X main.version=v1.2.3", as
// the Dockerfile does); empty in a plain `go build`, where the module
// version and the VCS stamp of the build info stand in.
var version string

// buildTime is stamped the same way (-X main.buildTime=...): the build
// info records the commit's time, not the build's.
var buildTime string

// printVersion writes the version, the commit and its time, and the Go
// version: what an operator quotes in a bug report.
func printVersion(w io.Writer) error {
	v, commit, when, modified := version, "unknown", "", false
	info, ok := debug.ReadBuildInfo()
	if ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if modified {
		commit += " (modified)"
	}
	goVersion := "unknown"
	if ok {
		goVersion = info.GoVersion
	}
	module := "github.com/edupulse/edupulse-live"
	if ok && info.Main.Path != "" {
		module = info.Main.Path
	}
	if when != "" {
		commit += " (committed " + when + ")"
	}
	if buildTime == "" {
		buildTime = "unknown"
	}
	_, err := fmt.Fprintf(w, "edupulse %s\ncommit %s\nbuilt %s\nmodule %s\n%s\n", v, commit, buildTime, module, goVersion)
	return err
}
