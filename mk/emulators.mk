# Local AWS peers for tests: dynalite (DynamoDB) and aws-ses-v2-local (SES v2),
# installed from tools/node/package.json and started on free loopback ports.
#
# Use from a recipe, on one logical line, so the exports reach go test:
#   $(WITH_EMULATORS) go test ./...
# It starts the emulators (eval of scripts/emulators.sh start), stops them
# when the shell exits and sets ABUSEDESK_REQUIRE_EMULATORS=1 so tests that
# need them fail instead of skipping.

NODE_TOOLS ?= tools/node

WITH_EMULATORS = emulator_env=$$(scripts/emulators.sh start) && eval "$$emulator_env" && \
	trap 'scripts/emulators.sh stop' EXIT && \
	export ABUSEDESK_REQUIRE_EMULATORS=1 &&

.PHONY: emulators-install emulators-start emulators-stop test-notify

# npm writes node_modules/.package-lock.json on every install: one stamp,
# so a parallel make never runs npm ci twice.
$(NODE_TOOLS)/node_modules/.package-lock.json: $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund
	@touch $@

emulators-install: $(NODE_TOOLS)/node_modules/.package-lock.json

emulators-start: emulators-install
	@scripts/emulators.sh start

emulators-stop:
	@scripts/emulators.sh stop

# The notification stage and the case store against the emulators.
test-notify: emulators-install
	@$(WITH_EMULATORS) go test ./pkg/store/dynamo/... ./pkg/notify/... ./pkg/archive/... ./internal/notifytest/...
