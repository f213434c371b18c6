package stacks

// MemberReadActions are exactly the read calls the enrich lookups make in a
// member account (pkg/lookup and pkg/sesrep/sesaws); the member role grants
// nothing else. TestMemberActionsMatchLookups keeps the two in step.
var MemberReadActions = []string{
	"ec2:DescribeInstances",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeSecurityGroups",

	"iam:GetAccessKeyLastUsed",
	"iam:ListAccessKeys",
	"iam:GetUser",
	"iam:ListUsers",
	"iam:ListMFADevices",
	"iam:GetLoginProfile",
	"iam:ListAttachedUserPolicies",
	"iam:ListUserPolicies",
	"iam:GetUserPolicy",
	"iam:ListGroupsForUser",
	"iam:ListAttachedGroupPolicies",
	"iam:ListGroupPolicies",
	"iam:GetGroupPolicy",
	"iam:ListAttachedRolePolicies",
	"iam:ListRolePolicies",
	"iam:GetRolePolicy",
	"iam:GetPolicy",
	"iam:GetPolicyVersion",

	"lambda:ListFunctions",
	"lambda:ListFunctionUrlConfigs",
	"lambda:GetPolicy",

	"apigateway:GET",

	"cloudtrail:LookupEvents",

	"ses:GetSendStatistics",
	"ses:GetAccount",

	"cloudwatch:GetMetricData",
}

// memberScopedResources narrows actions that support resource-level
// permissions; every other action only accepts "*".
// apigateway:GET is scoped to the REST (v1) and HTTP/WebSocket (v2) API
// collections so the role cannot read API keys, usage plans or client certs.
var memberScopedResources = map[string][]string{
	"apigateway:GET": {
		"arn:${AWS::Partition}:apigateway:*::/restapis",
		"arn:${AWS::Partition}:apigateway:*::/restapis/*",
		"arn:${AWS::Partition}:apigateway:*::/apis",
		"arn:${AWS::Partition}:apigateway:*::/apis/*",
	},
}

// tableDataActions are exactly the item calls pkg/store/dynamo makes: it
// serialises by conditional Put/Update, so no Query, Batch* or Delete.
var tableDataActions = []string{
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:UpdateItem",
}
