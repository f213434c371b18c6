package stacks

import (
	"github.com/abusedesk/abusedesk/pkg/config"

	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// CentralConfig is the synth-time shape of the central stack. Values that
// change the structure of policies (who may put events, which role ARNs may
// be assumed) are synth-time; per-deployment values (ExternalId, e-mail
// addresses) are CloudFormation parameters so they never land in cdk.out.
type CentralConfig struct {
	// BuildDir holds <fn>/bootstrap for every function (make lambdas).
	BuildDir string
	// MemberAccounts may put events on the bus and have their role assumed.
	MemberAccounts []string
	// OrganizationID admits every account of the organisation instead of
	// (or in addition to) MemberAccounts.
	OrganizationID string
	// MemberRoleName is the role enrich assumes in member accounts.
	MemberRoleName string
	// BusName is the custom bus name; member stacks forward to it.
	BusName string
	// NoReservedConcurrency drops reserved concurrency, for accounts whose
	// concurrency quota is still the new-account default of 10.
	NoReservedConcurrency bool
	// Functions overrides the default function set (tests).
	Functions []FunctionSpec
}

var (
	accountRe = regexp.MustCompile(`^\d{12}$`)
	orgRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	roleRe    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	busRe     = regexp.MustCompile(`^[\w.\-]{1,256}$`)
)

func (c *CentralConfig) normalize() error {
	if c.MemberRoleName == "" {
		c.MemberRoleName = DefaultMemberRole
	}
	if c.BusName == "" {
		c.BusName = DefaultBusName
	}
	if len(c.Functions) == 0 {
		c.Functions = Functions
	}
	if !roleRe.MatchString(c.MemberRoleName) {
		return fmt.Errorf("unable to use member role name %q: not a valid IAM role name", c.MemberRoleName)
	}
	if !busRe.MatchString(c.BusName) || c.BusName == "default" {
		return fmt.Errorf("unable to use bus name %q: not a valid custom event bus name", c.BusName)
	}
	for _, a := range c.MemberAccounts {
		if !accountRe.MatchString(a) {
			return fmt.Errorf("unable to use member account %q: want 12 digits", a)
		}
	}
	if c.OrganizationID != "" && !orgRe.MatchString(c.OrganizationID) {
		return fmt.Errorf("unable to use organization id %q: want o-xxxxxxxxxx", c.OrganizationID)
	}
	for _, fn := range c.Functions {
		p := filepath.Join(c.BuildDir, fn.Name, bootstrapName)
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("unable to find %s (run make lambdas first): %w", p, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("unable to use %s: not a regular file", p)
		}
	}
	return nil
}

// Central is the central security-account stack and the handles tests need.
type Central struct {
	Stack     awscdk.Stack
	Bus       awsevents.EventBus
	Table     awsdynamodb.Table
	Topic     awssns.Topic
	Bucket    awss3.Bucket
	Key       awskms.Key
	Functions map[string]awslambda.Function
	DLQs      map[string]awssqs.Queue

	memberRoleName string
	specs          []FunctionSpec
}

type centralParams struct {
	externalID, senderEmail, senderIdentity, onCallEmail, replyTo, defaultRecipient, sesRegions, intakeRegions awscdk.CfnParameter
	identityName                                                                                               *string
}

// NewCentral builds the central stack.
func NewCentral(scope constructs.Construct, id string, props *awscdk.StackProps, cfg CentralConfig) (*Central, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	c := &Central{
		Stack:          stack,
		Functions:      map[string]awslambda.Function{},
		DLQs:           map[string]awssqs.Queue{},
		memberRoleName: cfg.MemberRoleName,
		specs:          cfg.Functions,
	}
	p := centralParameters(stack)

	c.Key = awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("abusedesk: cases table, report bucket and on-call topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	// CloudWatch alarms publish to the KMS-encrypted topic as the service
	// itself, which the key policy has to admit explicitly.
	c.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		},
	}), jsii.Bool(false))

	c.Topic = awssns.NewTopic(stack, jsii.String("OnCallTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("abusedesk on-call"),
		MasterKey:   c.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	c.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(p.onCallEmail.ValueAsString(), nil))

	c.Table = awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String(TablePartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:       &awsdynamodb.Attribute{Name: jsii.String(TableSortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: c.Key,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(TableTTLAttribute),
		DeletionProtection:  jsii.Bool(true),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
	})

	accessLogs := awss3.NewBucket(stack, jsii.String("AccessLogBucket"), &awss3.BucketProps{
		// Server access log delivery only supports SSE-S3 targets.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                          jsii.String("expire-access-logs"),
			Expiration:                  awscdk.Duration_Days(jsii.Number(90)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	c.Bucket = awss3.NewBucket(stack, jsii.String("ReportBucket"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          c.Key,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String("report-bucket/"),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id:     jsii.String("reports"),
				Prefix: jsii.String(ReportPrefix),
				Transitions: &[]*awss3.Transition{{
					StorageClass:    awss3.StorageClass_INFREQUENT_ACCESS(),
					TransitionAfter: awscdk.Duration_Days(jsii.Number(30)),
				}},
				Expiration: awscdk.Duration_Days(jsii.Number(400)),
			},
			{
				// Intake CSVs are imported once; keeping them longer only
				// keeps customer data around.
				Id:         jsii.String("intake"),
				Prefix:     jsii.String(IntakePrefix),
				Expiration: awscdk.Duration_Days(jsii.Number(30)),
			},
			{
				Id:                                  jsii.String("housekeeping"),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
				NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
			},
		},
	})

	configSet := awsses.NewConfigurationSet(stack, jsii.String("ConfigurationSet"), &awsses.ConfigurationSetProps{
		TlsPolicy:         awsses.ConfigurationSetTlsPolicy_REQUIRE,
		ReputationMetrics: jsii.Bool(true),
		SendingEnabled:    jsii.Bool(true),
	})

	c.Bus = awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(cfg.BusName),
		Description:  jsii.String("abusedesk: forwarded AWS Health events and case stage events"),
	})
	addBusPolicy(c.Bus, cfg)

	for _, fn := range cfg.Functions {
		c.addFunction(stack, fn, cfg, p, configSet)
	}
	c.addRules(stack, cfg)

	awscdk.NewCfnOutput(stack, jsii.String("BusArn"), &awscdk.CfnOutputProps{
		Value:       c.Bus.EventBusArn(),
		Description: jsii.String("Pass as CentralBusArn to the member stack"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ReportBucketName"), &awscdk.CfnOutputProps{Value: c.Bucket.BucketName()})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: c.Table.TableName()})
	awscdk.NewCfnOutput(stack, jsii.String("OnCallTopicArn"), &awscdk.CfnOutputProps{Value: c.Topic.TopicArn()})

	suppressCentral(c)
	return c, nil
}

func centralParameters(stack awscdk.Stack) *centralParams {
	email := `^[^@\s]+@[^@\s]+\.[^@\s]+$`
	p := &centralParams{
		externalID: awscdk.NewCfnParameter(stack, jsii.String("ExternalId"), &awscdk.CfnParameterProps{
			Type:           jsii.String("String"),
			NoEcho:         jsii.Bool(true),
			MinLength:      jsii.Number(2),
			MaxLength:      jsii.Number(1224),
			AllowedPattern: jsii.String(`[\w+=,.@:/-]+`),
			Description:    jsii.String("ExternalId the member roles require (same value in every member stack)"),
		}),
		senderEmail: awscdk.NewCfnParameter(stack, jsii.String("SenderEmail"), &awscdk.CfnParameterProps{
			Type:           jsii.String("String"),
			AllowedPattern: jsii.String(email),
			Description:    jsii.String("From address of notification e-mails; must belong to a verified SES identity"),
		}),
		senderIdentity: awscdk.NewCfnParameter(stack, jsii.String("SenderIdentity"), &awscdk.CfnParameterProps{
			Type:        jsii.String("String"),
			Default:     jsii.String(""),
			Description: jsii.String("Verified SES identity (domain or address) of SenderEmail; empty means the address itself"),
		}),
		onCallEmail: awscdk.NewCfnParameter(stack, jsii.String("OnCallEmail"), &awscdk.CfnParameterProps{
			Type:           jsii.String("String"),
			AllowedPattern: jsii.String(email),
			Description:    jsii.String("On-call address subscribed to alarms (confirm the SNS subscription mail)"),
		}),
		replyTo: awscdk.NewCfnParameter(stack, jsii.String("ReplyTo"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String(""),
			Description: jsii.String("Reply-To address of notification e-mails (optional)"),
		}),
		defaultRecipient: awscdk.NewCfnParameter(stack, jsii.String("DefaultRecipient"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String(""),
			Description: jsii.String("Recipient when no account contact is known (optional)"),
		}),
		sesRegions: awscdk.NewCfnParameter(stack, jsii.String("SesRegions"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String(DefaultSESRegions),
			Description: jsii.String("Comma list of extra regions in which enrich checks member SES sending"),
		}),
		intakeRegions: awscdk.NewCfnParameter(stack, jsii.String("IntakeRegions"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String(""),
			Description: jsii.String("Comma list of regions CSV-imported resources are looked up in; empty means the stack's region"),
		}),
	}
	noIdentity := awscdk.NewCfnCondition(stack, jsii.String("SenderIdentityIsAddress"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(p.senderIdentity.ValueAsString(), jsii.String("")),
	})
	p.identityName = awscdk.Token_AsString(awscdk.Fn_ConditionIf(noIdentity.LogicalId(),
		p.senderEmail.ValueAsString(), p.senderIdentity.ValueAsString()), nil)
	return p
}

// addBusPolicy lets member accounts (or the organisation) forward AWS Health
// events only: without the events:source condition a member could forge
// "Case Opened" events and drive enrich against arbitrary accounts.
func addBusPolicy(bus awsevents.EventBus, cfg CentralConfig) {
	healthOnly := map[string]interface{}{
		"events:source":      []string{HealthSource},
		"events:detail-type": HealthDetailTypes,
	}
	if len(cfg.MemberAccounts) > 0 {
		var principals []awsiam.IPrincipal
		for _, a := range cfg.MemberAccounts {
			principals = append(principals, awsiam.NewAccountPrincipal(jsii.String(a)))
		}
		bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("MemberAccountsForwardHealth"),
			Principals: &principals,
			Actions:    jsii.Strings("events:PutEvents"),
			Resources:  &[]*string{bus.EventBusArn()},
			Conditions: &map[string]interface{}{"StringEquals": healthOnly},
		}))
	}
	if cfg.OrganizationID != "" {
		cond := map[string]interface{}{"aws:PrincipalOrgID": cfg.OrganizationID}
		for k, v := range healthOnly {
			cond[k] = v
		}
		bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("OrganizationForwardHealth"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("events:PutEvents"),
			Resources:  &[]*string{bus.EventBusArn()},
			Conditions: &map[string]interface{}{"StringEquals": cond},
		}))
	}
}

func envName(name string) string { return strings.ToUpper(name[:1]) + name[1:] }

func (c *Central) addFunction(stack awscdk.Stack, spec FunctionSpec, cfg CentralConfig, p *centralParams, configSet awsses.ConfigurationSet) {
	id := envName(spec.Name)
	dlq := awssqs.NewQueue(stack, jsii.String(id+"DLQ"), &awssqs.QueueProps{
		// SSE-SQS rather than the stack key: EventBridge and Lambda can
		// deliver to it without key-policy grants.
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	c.DLQs[spec.Name] = dlq

	logs := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_THREE_MONTHS,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("abusedesk " + spec.Name + " function"),
	})
	logs.GrantWrite(role)
	c.grant(role, "TableItemAccess", tableDataActions, c.Table.TableArn())
	// DynamoDB, S3 and SNS all use the stack key on the caller's behalf.
	c.grant(role, "UseStackKey", []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}, c.Key.KeyArn())
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("EmitOwnStageEventOnly"),
		Actions:   jsii.Strings("events:PutEvents"),
		Resources: &[]*string{c.Bus.EventBusArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
			"events:source":      EventSource,
			"events:detail-type": spec.Emits,
		}},
	}))
	if spec.AssumesMemberRole {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeMemberReadOnlyRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: memberRoleArns(cfg),
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
				"sts:ExternalId": p.externalID.ValueAsString(),
			}},
		}))
	}
	identityArn := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Name}"),
		&map[string]*string{"Name": p.identityName})
	if spec.SendsEmail {
		configSetArn := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${Name}"),
			&map[string]*string{"Name": configSet.ConfigurationSetName()})
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendFromConfiguredIdentityOnly"),
			Actions:   jsii.Strings("ses:SendEmail"),
			Resources: &[]*string{identityArn, configSetArn},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
				"ses:FromAddress": p.senderEmail.ValueAsString(),
			}},
		}))
	}
	if spec.PublishesAlerts {
		c.grant(role, "PublishOnCall", []string{"sns:Publish"}, c.Topic.TopicArn())
	}
	if spec.WritesReports {
		c.grant(role, "ReadWriteReports", []string{"s3:GetObject", "s3:PutObject"}, c.Bucket.ArnForObjects(jsii.String(ReportPrefix+"*")))
	}
	if spec.ReadsIntake {
		c.grant(role, "ReadIntake", []string{"s3:GetObject"}, c.Bucket.ArnForObjects(jsii.String(IntakePrefix+"*")))
	}

	var reserved *float64
	if spec.ReservedConcurrency > 0 && !cfg.NoReservedConcurrency {
		reserved = jsii.Number(spec.ReservedConcurrency)
	}
	fn := awslambda.NewFunction(stack, jsii.String(id+"Function"), &awslambda.FunctionProps{
		Description:  jsii.String(spec.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(bootstrapName),
		// The bootstrap is prebuilt by make lambdas: synth never compiles
		// Go, so the asset hash only changes when the binary does.
		Code:                         awslambda.Code_FromAsset(jsii.String(filepath.Join(cfg.BuildDir, spec.Name)), nil),
		MemorySize:                   jsii.Number(spec.MemoryMB),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
		ReservedConcurrentExecutions: reserved,
		Role:                         role,
		LogGroup:                     logs,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2:        awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:             awslambda.SystemLogLevel_WARN,
		// EventBridge invokes asynchronously: its own DLQ only catches
		// delivery failures, so handler failures need the function-level
		// retry/age/DLQ settings as well.
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(2),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(6)),
		Environment: &map[string]*string{
			config.EnvMode:                  jsii.String(config.ModeAWS),
			config.EnvTable:                 c.Table.TableName(),
			config.EnvBus:                   c.Bus.EventBusName(),
			config.EnvReportBucket:          c.Bucket.BucketName(),
			config.EnvAlertTopicARN:         c.Topic.TopicArn(),
			config.EnvSender:                p.senderEmail.ValueAsString(),
			"ABUSEDESK_SENDER_IDENTITY_ARN": identityArn,
			config.EnvConfigurationSet:      configSet.ConfigurationSetName(),
			config.EnvReplyTo:               p.replyTo.ValueAsString(),
			config.EnvDefaultRecipient:      p.defaultRecipient.ValueAsString(),
			config.EnvMemberRoleName:        jsii.String(cfg.MemberRoleName),
			config.EnvExternalID:            p.externalID.ValueAsString(),
			config.EnvSESRegions:            p.sesRegions.ValueAsString(),
			config.EnvIntakeRegions:         p.intakeRegions.ValueAsString(),
		},
	})
	c.Functions[spec.Name] = fn

	alarm := func(name string, metric awscloudwatch.Metric, desc string) {
		a := metric.CreateAlarm(stack, jsii.String(id+name), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(c.Topic))
	}
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm("ErrorsAlarm", fn.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		"abusedesk "+spec.Name+" returned errors")
	alarm("DLQDepthAlarm", dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		"abusedesk "+spec.Name+" has undelivered or failed events in its dead-letter queue")
	if reserved != nil {
		alarm("ThrottlesAlarm", fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
			"abusedesk "+spec.Name+" hit its reserved concurrency")
	}
}

func (c *Central) grant(role awsiam.Role, sid string, actions []string, resources ...*string) {
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	}))
}

func memberRoleArns(cfg CentralConfig) *[]*string {
	var arns []*string
	for _, a := range cfg.MemberAccounts {
		arns = append(arns, awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::"+a+":role/"+cfg.MemberRoleName), nil))
	}
	if cfg.OrganizationID != "" || len(arns) == 0 {
		// Organisation members are not known at synth time; the account
		// part stays open and the ExternalId condition plus the member
		// trust policy close it.
		arns = append(arns, awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::*:role/"+cfg.MemberRoleName), nil))
	}
	return &arns
}

func healthPattern() *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings(HealthSource),
		DetailType: jsii.Strings(HealthDetailTypes...),
		Detail:     &map[string]interface{}{"service": HealthServices},
	}
}

func (c *Central) addRules(stack awscdk.Stack, cfg CentralConfig) {
	target := func(name string) awsevents.IRuleTarget {
		return awseventstargets.NewLambdaFunction(c.Functions[name], &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: c.DLQs[name],
			RetryAttempts:   jsii.Number(8),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
		})
	}
	for _, spec := range cfg.Functions {
		id := envName(spec.Name)
		if spec.S3Intake {
			// S3 notifications invoke asynchronously: the function's own
			// retry attempts, maximum event age and DLQ apply.
			c.Bucket.AddEventNotification(awss3.EventType_OBJECT_CREATED,
				awss3notifications.NewLambdaDestination(c.Functions[spec.Name]),
				&awss3.NotificationKeyFilter{Prefix: jsii.String(IntakePrefix)})
			continue
		}
		if spec.TriggerDetailType == "" {
			awsevents.NewRule(stack, jsii.String(id+"HealthDefaultBusRule"), &awsevents.RuleProps{
				Description:  jsii.String("AWS Health ABUSE/RISK events of this account"),
				EventPattern: healthPattern(),
				Targets:      &[]awsevents.IRuleTarget{target(spec.Name)},
			})
			awsevents.NewRule(stack, jsii.String(id+"HealthForwardedRule"), &awsevents.RuleProps{
				Description:  jsii.String("AWS Health ABUSE/RISK events forwarded by member accounts"),
				EventBus:     c.Bus,
				EventPattern: healthPattern(),
				Targets:      &[]awsevents.IRuleTarget{target(spec.Name)},
			})
			continue
		}
		awsevents.NewRule(stack, jsii.String(id+"TriggerRule"), &awsevents.RuleProps{
			Description: jsii.String(spec.TriggerDetailType + " -> " + spec.Name),
			EventBus:    c.Bus,
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings(EventSource),
				DetailType: jsii.Strings(spec.TriggerDetailType),
			},
			Targets: &[]awsevents.IRuleTarget{target(spec.Name)},
		})
	}
}
