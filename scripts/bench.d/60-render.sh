#!/usr/bin/env bash
# Rendering cost per case: Markdown report, customer e-mail, on-call alert,
# EventBridge event, and what Markdown escaping costs over plain one-line
# cleaning. Exits non-zero only when the benchmarks cannot run.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(go test -run '^$' -bench 'Benchmark(Markdown|EscapeMarkdown|OneLine|RenderEmail|RenderAlert|CaseEvent)$' \
	-benchmem -benchtime=2000x -count=1 ./pkg/report/ ./pkg/notify/ 2>&1) || { echo "$out"; exit 1; }
echo "$out" | awk '
/^Benchmark/ {
	name=$1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
	ns[name]=$3; bytes[name]=$5; allocs[name]=$7; order[++n]=name
}
END {
	printf "%-16s %12s %10s %10s\n", "render", "ns/op", "B/op", "allocs/op"
	for (i=1; i<=n; i++) printf "%-16s %12s %10s %10s\n", order[i], ns[order[i]], bytes[order[i]], allocs[order[i]]
	if (ns["OneLine"] > 0) printf "\nEscapeMarkdown / OneLine time ratio: %.2fx\n", ns["EscapeMarkdown"]/ns["OneLine"]
	if (ns["RenderEmail"] > 0) printf "Markdown report (+200 findings) / e-mail time ratio: %.2fx\n", ns["Markdown"]/ns["RenderEmail"]
}'
