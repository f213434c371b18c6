# CloudTrail analysis (issue 5).
.PHONY: test-cloudtrail fuzz-cloudtrail bench-cloudtrail

test-cloudtrail:
	go test ./pkg/cloudtrail/... ./cmd/abusedesk/

fuzz-cloudtrail:
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=$${FUZZTIME:-10s} ./pkg/cloudtrail

bench-cloudtrail:
	scripts/bench.d/50-cloudtrail.sh
