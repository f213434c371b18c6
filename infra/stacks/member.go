package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Member is the per-customer-account stack.
type Member struct {
	Stack awscdk.Stack
	Role  awsiam.Role
	Rule  awsevents.Rule
	DLQ   awssqs.Queue
}

// NewMember builds the member stack. Everything account-specific is a
// CloudFormation parameter, and the stack uses no assets and no bootstrap
// resources, so one template serves every account through StackSets.
func NewMember(scope constructs.Construct, id string, props *awscdk.StackProps) *Member {
	if props == nil {
		props = &awscdk.StackProps{}
	}
	if props.Synthesizer == nil {
		// StackSet targets are not CDK-bootstrapped: no BootstrapVersion
		// parameter or rule, no asset staging.
		props.Synthesizer = awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{})
	}
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	m := &Member{Stack: stack}

	busArn := awscdk.NewCfnParameter(stack, jsii.String("CentralBusArn"), &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		AllowedPattern: jsii.String(`^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[\w.\-]+$`),
		Description:    jsii.String("BusArn output of the central stack"),
	})
	externalID := awscdk.NewCfnParameter(stack, jsii.String("ExternalId"), &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		NoEcho:         jsii.Bool(true),
		MinLength:      jsii.Number(2),
		MaxLength:      jsii.Number(1224),
		AllowedPattern: jsii.String(`[\w+=,.@:/-]+`),
		Description:    jsii.String("ExternalId the central enrich function presents"),
	})
	roleName := awscdk.NewCfnParameter(stack, jsii.String("RoleName"), &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		Default:        jsii.String(DefaultMemberRole),
		AllowedPattern: jsii.String(`[\w+=,.@-]{1,64}`),
		Description:    jsii.String("Name of the read-only role (ABUSEDESK_MEMBER_ROLE_NAME centrally)"),
	})
	roleRegion := awscdk.NewCfnParameter(stack, jsii.String("RoleRegion"), &awscdk.CfnParameterProps{
		Type:        jsii.String("String"),
		Default:     jsii.String("us-east-1"),
		Description: jsii.String("The one region whose stack instance creates the (global) IAM role"),
	})
	// The central account is the account field of the bus ARN, so the two
	// cannot disagree.
	centralAccount := awscdk.Fn_Select(jsii.Number(4), awscdk.Fn_Split(jsii.String(":"), busArn.ValueAsString(), nil))

	m.Role = awsiam.NewRole(stack, jsii.String("ReadOnlyRole"), &awsiam.RoleProps{
		RoleName:           roleName.ValueAsString(),
		Description:        jsii.String("abusedesk central enrich lookups (read-only)"),
		AssumedBy:          awsiam.NewAccountPrincipal(centralAccount),
		ExternalIds:        &[]*string{externalID.ValueAsString()},
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"AbuseDeskLookups": memberPolicy(),
		},
	})
	// IAM is global: in a multi-region StackSet only one instance may own
	// the named role, the others just forward events.
	isRoleRegion := awscdk.NewCfnCondition(stack, jsii.String("IsRoleRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(awscdk.Aws_REGION(), roleRegion.ValueAsString()),
	})
	m.Role.Node().DefaultChild().(awscdk.CfnResource).CfnOptions().SetCondition(isRoleRegion)

	m.DLQ = awssqs.NewQueue(stack, jsii.String("ForwardDLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	central := awsevents.EventBus_FromEventBusArn(stack, jsii.String("CentralBus"), busArn.ValueAsString())
	m.Rule = awsevents.NewRule(stack, jsii.String("ForwardHealthRule"), &awsevents.RuleProps{
		Description:  jsii.String("Forward AWS Health ABUSE/RISK events to the abusedesk central bus"),
		EventPattern: healthPattern(),
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewEventBus(central, &awseventstargets.EventBusProps{DeadLetterQueue: m.DLQ}),
		},
	})
	awscdk.NewCfnOutput(stack, jsii.String("RoleArn"), &awscdk.CfnOutputProps{
		Condition: isRoleRegion,
		Value:     m.Role.RoleArn(),
	})
	suppressMember(m)
	return m
}

// memberPolicy turns MemberReadActions into statements: actions with a
// resource scope get their own statement, the rest share one on "*".
func memberPolicy() awsiam.PolicyDocument {
	var unscoped []string
	var stmts []awsiam.PolicyStatement
	scoped := make([]string, 0, len(memberScopedResources))
	for a := range memberScopedResources {
		scoped = append(scoped, a)
	}
	sort.Strings(scoped)
	for _, a := range MemberReadActions {
		if _, ok := memberScopedResources[a]; !ok {
			unscoped = append(unscoped, a)
		}
	}
	stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("LookupReads"),
		Actions:   jsii.Strings(unscoped...),
		Resources: jsii.Strings("*"),
	}))
	for i, a := range scoped {
		var res []*string
		for _, r := range memberScopedResources[a] {
			res = append(res, awscdk.Fn_Sub(jsii.String(r), nil))
		}
		stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ScopedLookupReads" + string(rune('A'+i))),
			Actions:   jsii.Strings(a),
			Resources: &res,
		}))
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &stmts})
}
