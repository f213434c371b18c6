#!/usr/bin/env bash
# Issue 7: a 10,000-row resource list with 37 distinct addresses must cost
# at most one lookup per distinct resource (per region). Runs the Go
# benchmarks and prints the ratios.
set -euo pipefail
out=$(go test -run '^$' -bench '10k' -benchtime 5x ./pkg/csvintake)
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
  printf "%-44s %12.3f\n", "address lookups per resource per region", per
  printf "%-44s %12.0f\n", "DescribeNetworkInterfaces calls per region", calls
  printf "%-44s %12.1f  (naive per-row lookup: 1.0)\n", "rows served per lookup", rows
  if (per > 1.0) { print "FAIL: more than one lookup per resource"; exit 1 }
}'
