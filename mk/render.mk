# Rendering: Markdown report, guidance, customer e-mail, alert, case event.
.PHONY: test-render bench-render fuzz-render
test-render:
	go test ./pkg/report/ ./pkg/notify/ -run 'Markdown|Guidance|Escape|Clip|Redact|Multiline|FormatTime|Render|CaseEvent'
bench-render:
	scripts/bench.d/60-render.sh
fuzz-render:
	go test ./pkg/report/ -run '^$$' -fuzz FuzzEscapeMarkdown -fuzztime 30s
