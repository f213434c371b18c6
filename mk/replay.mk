# Walking skeleton (issue 2): event parsing, cases, pipeline goldens, replay CLI.
.PHONY: test-replay golden-replay bench-replay

REPLAY_PKGS := ./pkg/health ./pkg/cases ./pkg/pipeline ./pkg/enrich ./pkg/demo ./pkg/notify/outbox ./cmd/abusedesk

test-replay:
	go test $(REPLAY_PKGS)
	go test -run 'TestDeliver' ./pkg/notify

# Rewrites pkg/pipeline/testdata/golden from this run: review the diff
# before committing, a changed report is a bug until shown otherwise.
golden-replay:
	go test ./pkg/pipeline -run TestGoldenReports -update
	git diff --stat -- pkg/pipeline/testdata/golden

bench-replay:
	go run ./internal/benchreplay $(DEMO_EVENTS)
	go test -run '^$$' -bench 'Process|Redelivery' -benchtime 30x ./pkg/pipeline
