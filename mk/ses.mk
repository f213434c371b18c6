# SES reputation (issue 4): pkg/sesrep and the `abusedesk ses` command.
.PHONY: test-ses bench-ses

test-ses:
	go test ./pkg/sesrep/... && go test -run 'SES' ./cmd/abusedesk/

bench-ses:
	scripts/bench.d/40-ses.sh
