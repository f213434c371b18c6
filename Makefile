# abusedesk — two commands matter:
#   make demo   replay the sample events against the embedded demo account
#   make test   every test: unit, adapters against local AWS peers, fuzz, Lambda RIE, CDK
# Both install what they need (Go modules, npm tools under tools/node).

SHELL     := bash
GO        ?= go
BUILD     ?= build
DEMO_OUT  ?= out/demo
FUZZTIME  ?= 10s
CLI       := $(BUILD)/abusedesk

# The headline demo case is AWS's own DoS sample; the rest are ours.
DEMO_SAMPLE := testdata/realdata/health/aws-health-abuse-event-sample-2.json
DEMO_EVENTS := $(DEMO_SAMPLE) $(sort $(wildcard events/*.json))

.PHONY: all build demo test test-go fuzz vet bench clean

all: build

build: $(CLI)

$(CLI): go.mod go.sum $(shell find cmd pkg -name '*.go' -not -name '*_test.go') $(wildcard pkg/*/*.json pkg/*/templates/*)
	$(GO) build -trimpath -o $@ ./cmd/abusedesk

demo: $(CLI)
	@rm -rf $(DEMO_OUT)
	@echo "== Replaying $(words $(DEMO_EVENTS)) sample events against the embedded demo account (no AWS account needed)"
	@$(CLI) replay --out $(DEMO_OUT) $(DEMO_EVENTS)
	@echo
	@echo "== Replaying AWS's DoS sample again: idempotent, nothing new is written or sent"
	@$(CLI) replay --out $(DEMO_OUT) $(DEMO_SAMPLE)
	@echo
	@id=$$($(CLI) replay --out $(DEMO_OUT) $(DEMO_SAMPLE) | sed -n 's/.*: case \([^ ]*\) .*/\1/p' | head -1); \
	echo "== Where to look (AWS's DoS sample is case $$id)"; \
	echo "   JSON report:        $(DEMO_OUT)/$$id/report.json"; \
	echo "   Markdown (ko / en): $(DEMO_OUT)/$$id/report.md  $(DEMO_OUT)/$$id/report.en.md"; \
	echo "   outbox:             $(DEMO_OUT)/$$id/outbox/r1/ (customer e-mail .eml, on-call SNS, EventBridge event)"; \
	ls $(DEMO_OUT)/$$id/outbox/r1/ | sed 's/^/                         /'; \
	echo "   every case:         $(DEMO_OUT)/<case id>/"

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd pkg functions internal 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l cmd pkg functions internal; exit 1; }

# Root-module tests with the local AWS peers running and the Lambda
# bootstraps built for the RIE integration test.
test-go: emulators-install lambdas-host
	@$(WITH_EMULATORS) ABUSEDESK_RIE=1 $(GO) test -count=1 ./...

# Short minimisation keeps a brief CI run from spending its time shrinking
# one new input.
FUZZFLAGS = -run='^$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s
fuzz:
	$(GO) test $(FUZZFLAGS) -fuzz=FuzzDecode ./pkg/health
	$(GO) test $(FUZZFLAGS) -fuzz=FuzzParse ./pkg/cloudtrail

test: vet test-go fuzz infra-test
	@echo "make test: all suites passed"

# make bench prints each issue's figures against its baseline.
bench: $(CLI)
	@echo "== replay (issue 2): per-case time of the whole pipeline, in-process, demo account"
	@$(GO) run ./internal/benchreplay $(DEMO_EVENTS)
	@for s in scripts/bench.d/*.sh; do echo; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf $(BUILD) out

-include mk/*.mk
