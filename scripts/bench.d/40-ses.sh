#!/usr/bin/env bash
# SES reputation: cost of summarising a full 14 days of 15-minute
# GetSendStatistics points (1344 points), the per-region work on top of the
# one-call-per-second API limit. Exits non-zero only when the benchmark
# cannot run.
set -euo pipefail
cd "$(dirname "$0")/../.."
raw=$(go test -run '^$' -bench 'BenchmarkSummarize$' -benchmem -count 3 ./pkg/sesrep/ 2>&1) || { echo "$raw"; exit 1; }
out=$(grep '^BenchmarkSummarize' <<<"$raw") || { echo "$raw"; echo "40-ses: no BenchmarkSummarize results" >&2; exit 1; }
printf '%-22s %14s %12s %12s\n' benchmark ns/op B/op allocs/op
echo "$out" | awk '{ printf "%-22s %14s %12s %12s\n", $1, $3, $5, $7 }'
ns=$(echo "$out" | awk '{ s += $3; n++ } END { printf "%.0f", s / n }')
# The API allows one GetSendStatistics call per second: report how small the
# local work is next to that floor.
awk -v ns="$ns" 'BEGIN { printf "summarise / 1 s API floor: %.6f (%.0f ns per 1344-point region)\n", ns / 1e9, ns }'
