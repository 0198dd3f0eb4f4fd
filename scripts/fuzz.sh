#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each, one after
# another: `go test -fuzz` takes one target of one package per run.
#
#   scripts/fuzz.sh                      # every target, FUZZTIME (default 1m) each
#   FUZZTIME=3s scripts/fuzz.sh          # a short pass (CI)
#   FUZZ=Websocket scripts/fuzz.sh       # only targets whose name matches
#
# Targets are found in the test sources, so a new FuzzXxx is picked up
# without editing this file. Plain `go test ./...` already runs every
# target's seed corpus (f.Add and testdata/fuzz/FuzzXxx/) as unit tests.
#
# A failing input is written to testdata/fuzz/FuzzXxx/ in its package:
# commit it with the fix, so that `go test` keeps replaying it. The inputs
# found interesting along the way stay in the Go build cache and make the
# next run start from there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fuzztime="${FUZZTIME:-1m}"
filter="${FUZZ:-.}"
go="${GO:-go}"

# Each target as "<package dir> <name>", from the test sources: cheaper than
# `go test -list`, which would build every test binary first.
mapfile -t found < <(grep -rE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git -o '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
	| sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u)
# One instrumented test binary per package, run once per target: linking
# a binary with the whole server in it takes longer than a short run.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cache="$("$go" env GOCACHE)/fuzz"
ran=0
built=""
for entry in "${found[@]}"; do
	pkg="${entry% *}"
	target="${entry#* }"
	[[ "$target" =~ $filter ]] || continue
	bin="$tmp/$(echo "$pkg" | tr '/.' '__').test"
	if [[ "$built" != "$pkg" ]]; then
		"$go" test -c -fuzz=. -o "$bin" "$pkg"
		built="$pkg"
	fi
	importpath="$("$go" list "$pkg")"
	printf '\n=== fuzz %s %s (%s)\n' "$pkg" "$target" "$fuzztime"
	# What `go test -fuzz` would run: in the package's directory (for
	# testdata/fuzz/), with the corpus of interesting inputs in the Go
	# cache where `go test` keeps it.
	run() {
		(cd "$pkg" && "$bin" -test.run='^$' -test.fuzz="^${target}\$" -test.fuzztime="$fuzztime" \
			-test.fuzzcachedir="$cache/$importpath") 2>&1 | tee "$tmp/out"
		return "${PIPESTATUS[0]}"
	}
	if ! run; then
		# Go's fuzzing engine can itself fail, with "context deadline
		# exceeded" and no input, when a loaded machine stops its workers
		# late at the end of the run. That is no finding: run the target
		# once more. A real failure writes its input and fails as it is.
		if grep -q 'context deadline exceeded' "$tmp/out" && ! grep -q 'Failing input written' "$tmp/out"; then
			echo "fuzz: the engine timed out stopping, no input found: running $target again"
			run
		else
			exit 1
		fi
	fi
	ran=$((ran + 1))
done
if ((ran == 0)); then
	echo "no fuzz target matches FUZZ=$filter" >&2
	exit 1
fi
printf '\n%d fuzz targets ran for %s each\n' "$ran" "$fuzztime"
