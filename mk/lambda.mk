# Lambda bootstraps and local replay under the real Runtime Interface Emulator.
#
#   make lambdas        build/<fn>/bootstrap for every functions/<fn>/ (linux/arm64, deploy)
#   make lambdas-host   build/host/<fn>/bootstrap for this machine (what the RIE runs), + the RIE
#   make rie            go install aws-lambda-rie into build/tools/
#   make invoke FN=ingest EVENT=events/abuse-dos.json
#                       run build/host/<fn>/bootstrap under the RIE on loopback (demo
#                       account, file outbox in $(OUTBOX)), POST the event, print response
#                       and logs. Add RIEFLAGS=-aws to use your AWS credentials and
#                       ABUSEDESK_* settings instead of the demo account.
#
# -buildvcs=false: the VCS stamp would change the binary (and the CDK asset
# hash, so a redeploy) on every commit even when the code did not.

GO        ?= go
BUILD     ?= build
FUNCTIONS := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard functions/*/main.go)))))
LAMBDA_FLAGS := -trimpath -buildvcs=false -tags lambda.norpc -ldflags "-s -w"
HOST_ARCH := $(shell $(GO) env GOHOSTARCH)

# The emulator has no semver tags Go accepts (its tags are v1.x two-part), so
# it is pinned by pseudo-version; bump with `go list -m -versions` or @commit.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION ?= v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(BUILD)/tools/aws-lambda-rie

FN     ?= ingest
EVENT  ?= events/abuse-dos.json
# Cases, reports and the outbox of make invoke runs; stages invoked one after
# another share it, so enrich finds the case ingest opened.
OUTBOX ?= out/invoke

.PHONY: lambdas lambdas-host rie invoke

lambdas:
	@for fn in $(FUNCTIONS); do \
		echo "lambda $$fn -> $(BUILD)/$$fn/bootstrap (linux/arm64)"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(LAMBDA_FLAGS) -o $(BUILD)/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

# The RIE integration test and make invoke need the emulator next to the
# host builds, so building them brings it along.
lambdas-host: rie
	@for fn in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(HOST_ARCH) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD)/host/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

rie: $(RIE)

$(RIE):
	GOBIN=$(abspath $(BUILD)/tools) $(GO) install $(RIE_MODULE)/cmd/aws-lambda-rie@$(RIE_VERSION)

invoke: lambdas-host
	@$(GO) run ./internal/rietest/cmd/rie-invoke -rie $(RIE) -bootstrap $(BUILD)/host/$(FN)/bootstrap -fn $(FN) -event $(EVENT) -outbox $(abspath $(OUTBOX)) $(RIEFLAGS)
