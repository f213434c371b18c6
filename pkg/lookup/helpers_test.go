package lookup

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
)

const (
	selfAccount   = "111111111111"
	memberAccount = "123456789012"
	homeRegion    = "eu-west-1"
)

// fastRetry keeps the adaptive retryer but makes its backoff negligible, so
// throttling tests are deterministic and quick.
func fastRetry(attempts int) func() aws.Retryer {
	return awsx.NewRetryer(awsx.RetryOptions{MaxAttempts: attempts, MaxBackoff: time.Millisecond})
}

// assumeRole answers AssumeRole with credentials named after the call count,
// so tests can tell which credentials signed a later call.
func assumeRole(t testing.TB, ttl time.Duration) awsxtest.Handler {
	n := 0
	return func(c awsxtest.Call) awsxtest.Reply {
		n++
		return awsxtest.Reply{Body: awsxtest.Body(t, "sts/AssumeRole.xml", map[string]any{
			"Account":     memberAccount,
			"Session":     c.Form.Get("RoleSessionName"),
			"AccessKeyID": fmt.Sprintf("ASIAASSUMED%04d", n),
			"Expiration":  time.Now().Add(ttl).UTC().Format(time.RFC3339),
		})}
	}
}

type key struct{ ID, Status, Created string }
type pol struct{ Name, ARN string }

// policyDocs are IAM's URL-encoded documents.
func encoded(doc string) string { return url.PathEscape(doc) }

const (
	adminDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	starStarDoc  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}}`
	readOnlyDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`
	iamWriterDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*","iam:Create*"],"Resource":"*"}]}`
)

// fakeAccount serves a whole member account: STS, IAM, EC2, CloudTrail,
// Lambda and API Gateway, from the documented bodies under testdata/aws.
func fakeAccount(t testing.TB) *awsxtest.Server {
	t.Helper()
	s := awsxtest.NewServer(t)
	body := func(name string, data any) string { return awsxtest.Body(t, name, data) }
	s.Handle("sts:GetCallerIdentity", awsxtest.Static(body("sts/GetCallerIdentity.xml", map[string]any{"Account": selfAccount})))
	s.Handle("sts:AssumeRole", assumeRole(t, time.Hour))

	s.Handle("iam:GetAccessKeyLastUsed", func(c awsxtest.Call) awsxtest.Reply {
		if c.Form.Get("AccessKeyId") == "AKIAI44QH8DHBEXAMPLE" {
			return awsxtest.Reply{Body: body("iam/GetAccessKeyLastUsed-never.xml", map[string]any{"User": "Bob"})}
		}
		return awsxtest.Reply{Body: body("iam/GetAccessKeyLastUsed.xml", map[string]any{"User": "Bob"})}
	})
	s.Handle("iam:GetUser", func(c awsxtest.Call) awsxtest.Reply {
		return awsxtest.Reply{Body: body("iam/GetUser.xml", map[string]any{"User": c.Form.Get("UserName")})}
	})
	s.Handle("iam:ListAccessKeys", func(c awsxtest.Call) awsxtest.Reply {
		u := c.Form.Get("UserName")
		switch {
		case u == "Bob" && c.Form.Get("Marker") == "":
			return awsxtest.Reply{Body: body("iam/ListAccessKeys.xml", map[string]any{"User": u, "Marker": "page2",
				"Keys": []key{{"AKIAIOSFODNN7EXAMPLE", "Active", "2012-05-08T23:34:01Z"}}})}
		case u == "Bob":
			return awsxtest.Reply{Body: body("iam/ListAccessKeys.xml", map[string]any{"User": u, "Marker": "",
				"Keys": []key{{"AKIAI44QH8DHBEXAMPLE", "Inactive", "2024-05-20T10:00:00Z"}}})}
		default:
			return awsxtest.Reply{Body: body("iam/ListAccessKeys.xml", map[string]any{"User": u, "Marker": "", "Keys": []key(nil)})}
		}
	})
	s.Handle("iam:ListMFADevices", awsxtest.Static(body("iam/ListMFADevices.xml", map[string]any{"User": "Bob", "Serials": []string(nil)})))
	s.Handle("iam:GetLoginProfile", awsxtest.Static(body("iam/GetLoginProfile.xml", map[string]any{"User": "Bob"})))
	s.Handle("iam:ListAttachedUserPolicies", awsxtest.Static(body("iam/ListAttachedUserPolicies.xml", map[string]any{"Marker": "", "Policies": []pol{
		{"AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess"},
		{"AWSCompromisedKeyQuarantineV3", "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"},
	}})))
	s.Handle("iam:ListUserPolicies", awsxtest.Static(body("iam/ListUserPolicies.xml", map[string]any{"Names": []string{"AllAccessPolicy"}})))
	s.Handle("iam:GetUserPolicy", func(c awsxtest.Call) awsxtest.Reply {
		return awsxtest.Reply{Body: body("iam/GetUserPolicy.xml", map[string]any{"Owner": c.Form.Get("UserName"), "Name": c.Form.Get("PolicyName"), "Doc": encoded(adminDoc)})}
	})
	s.Handle("iam:ListGroupsForUser", awsxtest.Static(body("iam/ListGroupsForUser.xml", map[string]any{"Groups": []string{"Developers"}})))
	s.Handle("iam:ListAttachedGroupPolicies", awsxtest.Static(body("iam/ListAttachedGroupPolicies.xml", map[string]any{"Marker": "", "Policies": []pol{
		{"DevEverything", "arn:aws:iam::123456789012:policy/DevEverything"},
	}})))
	s.Handle("iam:ListGroupPolicies", awsxtest.Static(body("iam/ListGroupPolicies.xml", map[string]any{"Names": []string(nil)})))
	s.Handle("iam:GetPolicy", func(c awsxtest.Call) awsxtest.Reply {
		arn := c.Form.Get("PolicyArn")
		return awsxtest.Reply{Body: body("iam/GetPolicy.xml", map[string]any{"Name": arn[len("arn:aws:iam::123456789012:policy/"):], "ARN": arn})}
	})
	s.Handle("iam:GetPolicyVersion", func(c awsxtest.Call) awsxtest.Reply {
		doc := readOnlyDoc
		if c.Form.Get("PolicyArn") == "arn:aws:iam::123456789012:policy/DevEverything" {
			doc = starStarDoc
		}
		return awsxtest.Reply{Body: body("iam/GetPolicyVersion.xml", map[string]any{"Doc": encoded(doc)})}
	})
	s.Handle("iam:ListAttachedRolePolicies", awsxtest.Static(body("iam/ListAttachedRolePolicies.xml", map[string]any{"Marker": "", "Policies": []pol{
		{"AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
	}})))
	s.Handle("iam:ListRolePolicies", func(c awsxtest.Call) awsxtest.Reply {
		names := []string(nil)
		if c.Form.Get("RoleName") == "backdoor-role" {
			names = []string{"provisioning"}
		}
		return awsxtest.Reply{Body: body("iam/ListRolePolicies.xml", map[string]any{"Names": names})}
	})
	s.Handle("iam:GetRolePolicy", func(c awsxtest.Call) awsxtest.Reply {
		return awsxtest.Reply{Body: body("iam/GetRolePolicy.xml", map[string]any{"Owner": c.Form.Get("RoleName"), "Name": c.Form.Get("PolicyName"), "Doc": encoded(iamWriterDoc)})}
	})
	s.Handle("iam:ListUsers", func(c awsxtest.Call) awsxtest.Reply {
		type u struct{ Name, Created string }
		if c.Form.Get("Marker") == "" {
			return awsxtest.Reply{Body: body("iam/ListUsers.xml", map[string]any{"Marker": "u2", "Users": []u{{"Bob", "2013-10-02T17:01:44Z"}}})}
		}
		return awsxtest.Reply{Body: body("iam/ListUsers.xml", map[string]any{"Marker": "", "Users": []u{{"svc-backup", "2024-05-20T09:58:00Z"}}})}
	})

	s.Handle("ec2:DescribeInstances", awsxtest.Static(body("ec2/DescribeInstances.xml", map[string]any{"NextToken": ""})))
	s.Handle("ec2:DescribeNetworkInterfaces", func(c awsxtest.Call) awsxtest.Reply {
		if c.Form.Get("Filter.1.Name") == "ipv6-addresses.ipv6-address" {
			return awsxtest.Reply{Body: body("ec2/DescribeNetworkInterfaces-v6.xml", nil)}
		}
		return awsxtest.Reply{Body: body("ec2/DescribeNetworkInterfaces.xml", nil)}
	})
	s.Handle("ec2:DescribeSecurityGroups", awsxtest.Static(body("ec2/DescribeSecurityGroups.xml", nil)))

	s.Handle("cloudtrail:LookupEvents", awsxtest.Static(trailPage(t, "", 2)))
	return s
}

// trailEvent is one LookupEvents entry; Raw is the CloudTrailEvent string
// already JSON-quoted, as the API nests it.
type trailEvent struct {
	ID, Name, Raw string
	Epoch         int64
}

func trailPage(t testing.TB, next string, n int, bad ...int) string {
	var evs []trailEvent
	for i := range n {
		at := time.Date(2024, 5, 20, 10, i, 0, 0, time.UTC)
		raw := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::123456789012:user/Bob","accountId":"123456789012","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"Bob"},"eventTime":"%s","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"backdoor-user"},"responseElements":{"user":{"userName":"backdoor-user"}},"requestID":"b1c7f1c2-0000-4000-8000-example","eventID":"ev-%d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}`, at.Format(time.RFC3339), i)
		for _, b := range bad {
			if b == i {
				raw = `{"eventVersion":"1.08","eventTime":` // truncated by the service
			}
		}
		q := fmt.Sprintf("%q", raw)
		evs = append(evs, trailEvent{ID: fmt.Sprintf("ev-%d", i), Name: "CreateUser", Raw: q, Epoch: at.Unix()})
	}
	return awsxtest.Body(t, "cloudtrail/LookupEvents.json", map[string]any{"Events": evs, "NextToken": next})
}

// connect opens the member account through s with a fresh connector.
func connect(t testing.TB, s *awsxtest.Server, opts Options) *Connector {
	t.Helper()
	if opts.RoleName == "" {
		opts.RoleName = "AbuseDeskReadOnly"
	}
	if opts.TrailLimiter == nil {
		// Tests that are not about pacing must not wait on the shared quota.
		opts.TrailLimiter = NewTrailLimiter(1000, time.Millisecond)
	}
	c, err := New(s.Config(homeRegion, fastRetry(3)), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
