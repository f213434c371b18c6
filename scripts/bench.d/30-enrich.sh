#!/usr/bin/env bash
# Enrichment latency: one case naming four resources (instance id, public IP,
# access key id, user name) through enrich.Engine and the real AWS adapters,
# against a fake AWS endpoint adding 50 ms to every call, with LookupEvents
# paced at its production quota (2 per 1.2 s per account and region). The
# engine also follows the account's recently created users and keys into
# CloudTrail, so the case's CloudTrail lookups depend on what the fake account
# holds; the benchmark derives them, and the chain, from it.
# Target: wall time within 1.3x of the longest dependency chain: the longest
# run of calls that must go in sequence, or, when it is longer, the time the
# LookupEvents quota needs to let every CloudTrail page through.
# Exits non-zero only when the benchmark cannot run; a missed target is
# printed as MISSED.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if ! raw=$(go test -run '^$' -bench '^BenchmarkEnrichCase$' -benchtime 10x -count 3 ./pkg/lookup/ 2>&1); then
	echo "$raw"
	echo "30-enrich: the benchmark could not run" >&2
	exit 1
fi
out=$(grep '^BenchmarkEnrichCase' <<<"$raw")
if [[ -z $out ]]; then
	echo "$raw"
	echo "30-enrich: no BenchmarkEnrichCase results" >&2
	exit 1
fi
runs() { awk -v m="$1" '{ for (i = 2; i < NF; i++) if ($(i+1) == m) printf "%s%.0f", (n++ ? ", " : ""), $i }' <<<"$out"; }
metric() { awk -v m="$1" '{ for (i = 2; i < NF; i++) if ($(i+1) == m) { s += $i; n++ } } END { if (n) printf "%.1f", s / n }' <<<"$out"; }
# The benchmark logs each distinct chain it found; every run should agree.
logged() { sed -n "s/^ *bench_test.go:[0-9]*: $1: //p" <<<"$raw" | sort -u; }
wall=$(metric wall-ms) chain=$(metric chain-ms) callchain=$(metric callchain-ms) paced=$(metric paced-ms)
serial=$(metric serial-ms) calls=$(metric calls) lookups=$(metric lookups)
for v in wall chain callchain paced serial calls lookups; do
	if [[ -z ${!v} ]]; then
		echo "$raw"
		echo "30-enrich: metric $v missing from the benchmark output" >&2
		exit 1
	fi
done

printf '%-40s\n' "enrich case, 50 ms per AWS call, LookupEvents paced 2 per 1.2 s"
printf '%-40s %10s\n' "AWS calls per case" "$calls"
printf '%-40s %10s\n' "CloudTrail lookups per case" "$lookups"
printf '%-40s %10s ms  (runs: %s ms)\n' "wall time (mean of 3x10 cases)" "$wall" "$(runs wall-ms)"
printf '%-40s %10s ms  (%s)\n' "longest dependency chain" "$chain" "$(logged dominant | paste -sd/)"
printf '%-40s %10s ms\n' "  longest chain of calls" "$callchain"
logged 'call chain' | sed 's/^/      /'
printf '%-40s %10s ms\n' "  LookupEvents quota floor" "$paced"
logged 'quota chain' | sed 's/^/      /'
printf '%-40s %10s ms\n' "serial sum of all calls (no quota)" "$serial"
awk -v w="$wall" -v c="$chain" -v cc="$callchain" -v p="$paced" -v s="$serial" 'BEGIN {
	r = w / c
	printf "%-40s %9.2fx  (target <= 1.30x: %s)\n", "wall / longest dependency chain", r, (r <= 1.3 ? "met" : "MISSED")
	printf "%-40s %9.2fx\n", "wall / longest chain of calls", w / cc
	printf "%-40s %9.2fx\n", "serial sum / wall", s / w
	if (p > cc)
		printf "note: the LookupEvents quota, not the call chain, sets the floor: it adds %.0f ms to the %.0f ms call chain\n", p - cc, cc
}'
