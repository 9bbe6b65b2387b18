#!/usr/bin/env bash
# Runs every go test -fuzz target of the module for a while each.
#
#   scripts/fuzz.sh            # 60s per target
#   scripts/fuzz.sh 5s         # what .ci/run does
#   FUZZ_ONLY=FuzzParseKey scripts/fuzz.sh 10m
#
# A failing input is written to the package's testdata/fuzz/<Target>/ by go
# test; commit it with the fix so it stays a regression test. Use Go 1.27 or
# newer (GOTOOLCHAIN=go1.27.3): older fuzz coordinators can fail a target at
# the -fuzztime limit with "context deadline exceeded" (go.dev/issue/75804). The script
# exits non-zero when any target fails, after running all of them.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime="${1:-60s}"
only="${FUZZ_ONLY:-}"
status=0
summary=()

# Every "func FuzzXxx(f *testing.F)" in a _test.go file, as "pkgdir name".
targets=$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' pkg cmd scripts 2>/dev/null |
  sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u)

while read -r dir name; do
  [ -z "$name" ] && continue
  if [ -n "$only" ] && [ "$only" != "$name" ]; then continue; fi
  echo "== fuzz ./$dir $name for $fuzztime"
  start=$(date +%s)
  log=$(mktemp)
  if go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 10s >"$log" 2>&1; then
    result="ok"
  elif ! grep -q 'Failing input written' "$log" && grep -q '^    context deadline exceeded$' "$log"; then
    # Go's fuzz coordinator can report its own -fuzztime deadline as a
    # failure, with no failing input (go.dev/issue/75804, fixed in Go 1.27):
    # not a finding. .ci/run fuzzes with a Go 1.27 toolchain.
    result="ok (stopped by the fuzz coordinator's deadline race, no failing input)"
  else
    result="FAILED"
    status=1
  fi
  tail -n 3 "$log"
  execs=$(grep -Eo 'execs: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
  [ "$result" = "FAILED" ] && cat "$log"
  rm -f "$log"
  summary+=("$(printf '%-28s %-22s %5ss %10s execs  %s' "$name" "./$dir" "$(( $(date +%s) - start ))" "$execs" "$result")")
done <<<"$targets"

echo "== fuzz summary (wall time includes the instrumented build)"
printf '%s\n' "${summary[@]}"
exit $status
