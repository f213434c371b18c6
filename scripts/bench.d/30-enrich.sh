#!/usr/bin/env bash
# Enrichment latency: one case naming four resources (instance id, public IP,
# access key id, user name) through enrich.Engine and the real AWS adapters,
# against a fake AWS endpoint adding 50 ms to every call. Target: wall time
# within 1.3x of the longest chain of calls that must run in sequence.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(go test -run '^$' -bench '^BenchmarkEnrichCase$' -benchtime 10x -count 3 ./pkg/lookup/ | grep '^BenchmarkEnrichCase')
metric() { echo "$out" | awk -v m="$1" '{ for (i = 2; i < NF; i++) if ($(i+1) == m) { s += $i; n++ } } END { printf "%.1f", s / n }'; }
wall=$(metric wall-ms); chain=$(metric chain-ms); serial=$(metric serial-ms); calls=$(metric calls)
printf '%-36s %10s\n' "enrich case, 50 ms per AWS call" ""
printf '%-36s %10s\n' "AWS calls per case" "$calls"
printf '%-36s %8s ms\n' "wall time (mean of 3x10 cases)" "$wall"
printf '%-36s %8s ms\n' "longest dependency chain (5 calls)" "$chain"
printf '%-36s %8s ms\n' "serial sum of all calls" "$serial"
awk -v w="$wall" -v c="$chain" -v s="$serial" 'BEGIN {
  r = w / c
  printf "%-36s %9.2fx  (target <= 1.30x: %s)\n", "wall / longest chain", r, (r <= 1.3 ? "met" : "MISSED")
  printf "%-36s %9.2fx\n", "serial sum / wall", s / w
}'
