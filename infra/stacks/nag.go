package stacks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ApplyNag adds the cdk-nag AwsSolutions pack to everything under scope.
// Findings become error annotations, which fail `cdk synth` and the app's
// own post-synth check (UnsuppressedErrors).
func ApplyNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
	}), nil)
}

// suppression is a cdk-nag finding accepted on purpose; reason is mandatory
// and lands in the template metadata next to the resource.
type suppression struct {
	id, reason string
	appliesTo  []string
}

func suppress(c constructs.IConstruct, children bool, ss ...suppression) {
	var out []*cdknag.NagPackSuppression
	for _, s := range ss {
		ns := &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			at := make([]interface{}, 0, len(s.appliesTo))
			for _, a := range s.appliesTo {
				at = append(at, a)
			}
			ns.AppliesTo = &at
		}
		out = append(out, ns)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &out, jsii.Bool(children))
}

func logicalID(c constructs.IConstruct) string {
	st := awscdk.Stack_Of(c)
	return *st.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func suppressCentral(c *Central) {
	reports := "Resource::<" + logicalID(c.Bucket) + ".Arn>/" + ReportPrefix + "*"
	intake := "Resource::<" + logicalID(c.Bucket) + ".Arn>/" + IntakePrefix + "*"
	for _, spec := range c.specs {
		var objects []string
		if spec.WritesReports {
			objects = append(objects, reports)
		}
		if spec.ReadsIntake {
			objects = append(objects, intake)
		}
		var ss []suppression
		if len(objects) > 0 {
			ss = append(ss, suppression{
				id: "AwsSolutions-IAM5",
				reason: "Report and intake object keys are generated per case/account at run time; access is " +
					"limited to the reports/ or intake/ prefix of the stack's own bucket and to GetObject/PutObject.",
				appliesTo: objects,
			})
		}
		if spec.AssumesMemberRole {
			ss = append(ss, suppression{
				id: "AwsSolutions-IAM5",
				reason: "Member accounts of an AWS Organization are not known at synth time; the statement is " +
					"limited to the fixed member role name and requires the deployment's sts:ExternalId, and each " +
					"member role trusts only the central account.",
				appliesTo: []string{"Resource::arn:<AWS::Partition>:iam::*:role/" + c.memberRoleName},
			})
		}
		if len(ss) > 0 {
			suppress(c.Functions[spec.Name].Role(), true, ss...)
		}
	}
	// CDK's singleton handler that applies the bucket's S3 notification
	// configuration (a deploy-time custom resource, not application code).
	for _, child := range *c.Stack.Node().Children() {
		if id := *child.Node().Id(); strings.HasPrefix(id, "BucketNotificationsHandler") {
			suppress(child, true, suppression{
				id: "AwsSolutions-IAM4",
				reason: "CDK's BucketNotificationsHandler custom resource only runs at deploy time to " +
					"write the report bucket's notification configuration; AWSLambdaBasicExecutionRole gives it logs.",
				appliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
			}, suppression{
				id: "AwsSolutions-IAM5",
				reason: "s3:PutBucketNotification has to be granted on * by CDK's BucketNotificationsHandler " +
					"construct; the handler only ever targets this stack's report bucket.",
				appliesTo: []string{"Resource::*"},
			})
		}
	}
}

func suppressMember(m *Member) {
	suppress(m.DLQ, false, suppression{
		id: "AwsSolutions-SQS3",
		reason: "This queue is the dead-letter queue of the forwarding rule's target; cdk-nag only " +
			"recognises queues used in another queue's redrive policy.",
	})
	suppress(m.Role, true, suppression{
		id: "AwsSolutions-IAM5",
		reason: "The lookup reads (EC2 Describe*, sts:GetCallerIdentity, cloudtrail:LookupEvents, " +
			"ses:GetAccount/GetSendStatistics, cloudwatch:GetMetricData, lambda:ListFunctions) do not support " +
			"resource-level permissions, and the IAM/Lambda reads must reach whichever user, role, policy or " +
			"function an abuse notice names. The action list is exact (stacks.MemberReadActions), read-only, and " +
			"the role is only assumable by the central account with the ExternalId.",
		appliesTo: []string{"Resource::*"},
	}, suppression{
		id: "AwsSolutions-IAM5",
		reason: "apigateway:GET is limited to the REST and HTTP API collections; the region is open because " +
			"the flagged API may live in any region.",
		appliesTo: []string{
			"Resource::arn:<AWS::Partition>:apigateway:*::/restapis",
			"Resource::arn:<AWS::Partition>:apigateway:*::/restapis/*",
			"Resource::arn:<AWS::Partition>:apigateway:*::/apis",
			"Resource::arn:<AWS::Partition>:apigateway:*::/apis/*",
		},
	})
}

// UnsuppressedErrors lists every error annotation (cdk-nag or CDK itself)
// in a synthesized assembly, sorted for stable output.
func UnsuppressedErrors(asm cxapi.CloudAssembly) []string {
	var errs []string
	for _, st := range *asm.Stacks() {
		for _, m := range *st.Messages() {
			if m.Level != cxapi.SynthesisMessageLevel_ERROR {
				continue
			}
			data := ""
			if m.Entry != nil && m.Entry.Data != nil {
				data = fmt.Sprint(m.Entry.Data)
			}
			errs = append(errs, fmt.Sprintf("%s: %s", deref(m.Id), strings.TrimSpace(data)))
		}
	}
	sort.Strings(errs)
	return errs
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
