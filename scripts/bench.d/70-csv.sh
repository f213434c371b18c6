#!/usr/bin/env bash
# Issue 7: a 10,000-row resource list with 37 distinct addresses must cost
# at most one lookup per distinct resource (per region). Runs the Go
# benchmarks and prints the ratios. Exits non-zero only when the benchmarks
# cannot run; a missed target is printed as MISSED.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(go test -run '^$' -bench '10k' -benchtime 5x ./pkg/csvintake 2>&1) || { echo "$out"; exit 1; }
grep -q '^BenchmarkImport10k' <<<"$out" || { echo "$out"; echo "70-csv: no BenchmarkImport10k results" >&2; exit 1; }
echo "$out" | awk '
/^BenchmarkParse10k/  { parse_ms = $3 / 1e6; mbs = $5 }
/^BenchmarkImport10k/ {
  import_ms = $3 / 1e6
  for (i = 4; i < NF; i++) {
    if ($(i+1) == "distinct") distinct = $i
    if ($(i+1) == "lookups/resource/region") per = $i
    if ($(i+1) == "calls/region") calls = $i
    if ($(i+1) == "rows/lookup") rows = $i
  }
}
END {
  printf "%-44s %12s\n", "csv intake, 10,000 rows, 2 regions", "value"
  printf "%-44s %12.1f\n", "parse + group (ms)", parse_ms
  printf "%-44s %12s\n", "parse throughput (MB/s)", mbs
  printf "%-44s %12.1f\n", "whole import incl. enrichment + report (ms)", import_ms
  printf "%-44s %12d\n", "distinct resources", distinct
  printf "%-44s %12.3f  (target <= 1.000: %s)\n", "address lookups per resource per region", per, (per <= 1.0 ? "met" : "MISSED")
  printf "%-44s %12.0f\n", "DescribeNetworkInterfaces calls per region", calls
  printf "%-44s %12.1f  (naive per-row lookup: 1.0)\n", "rows served per lookup", rows
}'
