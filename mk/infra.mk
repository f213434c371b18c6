# CDK (Go) app in infra/: tests, synth and deploy.
#
#   make infra-test   assertion tests + cdk-nag (AwsSolutions) run over both stacks
#   make synth        cdk synth into cdk.out/ (offline; builds the arm64 bootstraps first)
#   make deploy       deploy the central stack (see docs/deploy.md for the parameters)
#   make deploy-member  deploy the member stack into the current credentials' account
#
# Synth never compiles Lambda code: the stacks take build/<fn>/bootstrap as
# prebuilt assets (make lambdas).

NODE_TOOLS ?= tools/node
CDK        := $(abspath $(NODE_TOOLS))/node_modules/.bin/cdk
CDK_OUT    ?= cdk.out

# jsii prints a banner for Node versions outside its support window; the
# machine's Node works, so keep the output readable. The CDK CLI's version
# check, notices and telemetry would reach for the network.
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
INFRA_ENV  := JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1 \
	JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 \
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$(NODE_MAJOR) \
	CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true
CDK_FLAGS  := --no-notices --no-version-reporting

# Synth-time context (structure of the policies).
MEMBER_ACCOUNTS      ?=
ORG_ID               ?=
MEMBER_ROLE_NAME     ?= AbuseDeskReadOnly
RESERVED_CONCURRENCY ?= true
CDK_CONTEXT = -c buildDir=$(abspath $(BUILD)) -c memberRoleName=$(MEMBER_ROLE_NAME) \
	-c reservedConcurrency=$(RESERVED_CONCURRENCY) \
	$(if $(MEMBER_ACCOUNTS),-c memberAccounts=$(MEMBER_ACCOUNTS)) \
	$(if $(ORG_ID),-c organizationId=$(ORG_ID))

# Deploy-time CloudFormation parameters.
EXTERNAL_ID       ?=
SENDER_EMAIL      ?=
SENDER_IDENTITY   ?=
ONCALL_EMAIL      ?=
REPLY_TO          ?=
DEFAULT_RECIPIENT ?=
SES_REGIONS       ?= us-east-1
INTAKE_REGIONS    ?=
CENTRAL_BUS_ARN   ?=

.PHONY: infra-test synth deploy deploy-member

infra-test:
	cd infra && $(INFRA_ENV) $(GO) vet ./... && $(INFRA_ENV) $(GO) test -count=1 ./...

$(CDK): $(NODE_TOOLS)/node_modules/.package-lock.json

synth: lambdas $(NODE_TOOLS)/node_modules/.package-lock.json
	cd infra && $(INFRA_ENV) $(CDK) synth $(CDK_FLAGS) --quiet -o $(abspath $(CDK_OUT)) $(CDK_CONTEXT)
	@echo "templates: $(CDK_OUT)/AbuseDesk.template.json $(CDK_OUT)/AbuseDeskMember.template.json"

define require
$(if $($(1)),,$(error $(1) is required: see docs/deploy.md))
endef

deploy: lambdas $(NODE_TOOLS)/node_modules/.package-lock.json
	$(call require,EXTERNAL_ID)$(call require,SENDER_EMAIL)$(call require,ONCALL_EMAIL)
	cd infra && $(INFRA_ENV) $(CDK) deploy AbuseDesk $(CDK_FLAGS) -o $(abspath $(CDK_OUT)) $(CDK_CONTEXT) \
		--require-approval broadening \
		--parameters AbuseDesk:ExternalId='$(EXTERNAL_ID)' \
		--parameters AbuseDesk:SenderEmail='$(SENDER_EMAIL)' \
		--parameters AbuseDesk:SenderIdentity='$(SENDER_IDENTITY)' \
		--parameters AbuseDesk:OnCallEmail='$(ONCALL_EMAIL)' \
		--parameters AbuseDesk:ReplyTo='$(REPLY_TO)' \
		--parameters AbuseDesk:DefaultRecipient='$(DEFAULT_RECIPIENT)' \
		--parameters AbuseDesk:SesRegions='$(SES_REGIONS)' \
		--parameters AbuseDesk:IntakeRegions='$(INTAKE_REGIONS)'

deploy-member: lambdas $(NODE_TOOLS)/node_modules/.package-lock.json
	$(call require,EXTERNAL_ID)$(call require,CENTRAL_BUS_ARN)
	cd infra && $(INFRA_ENV) $(CDK) deploy AbuseDeskMember $(CDK_FLAGS) -o $(abspath $(CDK_OUT)) $(CDK_CONTEXT) \
		--require-approval broadening \
		--parameters AbuseDeskMember:CentralBusArn='$(CENTRAL_BUS_ARN)' \
		--parameters AbuseDeskMember:ExternalId='$(EXTERNAL_ID)' \
		--parameters AbuseDeskMember:RoleName='$(MEMBER_ROLE_NAME)'
