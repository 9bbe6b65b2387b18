#!/usr/bin/env bash
# Measures certgate's peak memory (maximum resident set size) over a run of
# N hostile targets: every kind of fault server in internal/faultserver, cycled.
#
#   scripts/hostile-rss.sh            # 2000 targets, -c 64, --timeout 2s
#   N=5000 CONC=128 scripts/hostile-rss.sh
#
# Needs GNU time at /usr/bin/time (Debian: apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."

n="${N:-2000}"
conc="${CONC:-64}"
timeout="${TIMEOUT:-2s}"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/certgate" ./cmd/certgate
go build -o "$work/hostileserve" ./scripts/hostileserve

# The server keeps running while its stdin (a fifo we hold open) is open.
mkfifo "$work/hold"
"$work/hostileserve" -n "$n" -list "$work/targets.txt" -root "$work/root.pem" <"$work/hold" >"$work/ready" 2>"$work/servers.log" &
server=$!
exec 3>"$work/hold"
for _ in $(seq 100); do grep -q ready "$work/ready" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/ready" || { cat "$work/servers.log"; echo "hostile-rss: servers did not start" >&2; exit 1; }

echo "== certgate check over $n hostile targets (-c $conc --timeout $timeout)"
set +e
/usr/bin/time -v "$work/certgate" check -f "$work/targets.txt" -o jsonl -c "$conc" --timeout "$timeout" \
  --store "$work/root.pem" --fail-on never >"$work/out.jsonl" 2>"$work/time.log"
rc=$?
set -e
exec 3>&-
results=$(wc -l <"$work/out.jsonl")
echo "exit status:       $rc"
echo "results:           $results of $n"
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$work/time.log"
echo "by status:"
grep -o '"status":"[a-z]*"' "$work/out.jsonl" | sort | uniq -c
[ "$results" -eq "$n" ] || { echo "hostile-rss: $results results for $n targets" >&2; exit 1; }
