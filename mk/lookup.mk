# AWS lookup adapters (pkg/lookup, pkg/awsx): offline tests against the
# fake AWS endpoint, and the enrichment latency benchmark.
.PHONY: test-lookup bench-lookup
test-lookup:
	go test -race ./pkg/lookup/... ./pkg/awsx/...
bench-lookup:
	./scripts/bench.d/30-enrich.sh
