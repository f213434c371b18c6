package lookup

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

func openMember(t *testing.T, s *awsxtest.Server) *enrich.Account {
	t.Helper()
	acct, err := connect(t, s, Options{}).Connect(t.Context(), memberAccount, "case-1")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return acct
}

func TestInstances(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	acct := openMember(t, s)
	got, err := acct.EC2.Instances(t.Context(), "eu-west-1", []string{
		"arn:aws:ec2:eu-west-1:123456789012:instance/i-1234567890abcdef0",
		"i-1234567890abcdef0", "not-an-id", "arn:aws:s3:::bucket",
	})
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	want := []evidence.Instance{{
		ID: "i-1234567890abcdef0", Region: "eu-west-1", State: "running", Type: "t2.micro",
		LaunchTime: time.Date(2018, 5, 8, 16, 46, 19, 0, time.UTC), KeyName: "my_keypair",
		InstanceProfileARN: "arn:aws:iam::123456789012:instance-profile/AdminRole",
		ImageID:            "ami-bff32ccc", VPCID: "vpc-11112222",
		PublicIPs:        []string{"54.194.252.215", "2001:db8:1234:1a2b::123"},
		PrivateIPs:       []string{"192.168.1.88"},
		SecurityGroupIDs: []string{"sg-e4076980"},
		Tags:             map[string]string{"Name": "Server_1"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Instances =\n%+v\nwant\n%+v", got, want)
	}
	f := s.Calls("ec2:DescribeInstances")[0].Form
	if f.Get("Filter.1.Name") != "instance-id" || f.Get("Filter.1.Value.1") != "i-1234567890abcdef0" || f.Has("Filter.1.Value.2") {
		t.Errorf("request filters = %v, want one de-duplicated instance-id", f)
	}
}

func TestInstancesPaginates(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	s.Handle("ec2:DescribeInstances", awsxtest.Pages(
		awsxtest.Body(t, "ec2/DescribeInstances.xml", map[string]any{"NextToken": "tok-2"}),
		awsxtest.Body(t, "ec2/DescribeInstances-empty.xml", nil)))
	acct := openMember(t, s)
	got, err := acct.EC2.Instances(t.Context(), "eu-west-1", []string{"i-1234567890abcdef0"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Instances = %d, %v; want 1 instance", len(got), err)
	}
	calls := s.Calls("ec2:DescribeInstances")
	if len(calls) != 2 || calls[1].Form.Get("NextToken") != "tok-2" {
		t.Errorf("calls = %d, second NextToken %q; want 2 pages", len(calls), calls[len(calls)-1].Form.Get("NextToken"))
	}
}

func TestInterfacesByPublicIP(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	acct := openMember(t, s)
	ips := []netip.Addr{
		netip.MustParseAddr("203.0.113.14"), // secondary EIP on the instance's ENI
		netip.MustParseAddr("198.51.100.7"), // NAT gateway
		netip.MustParseAddr("192.0.2.99"),   // held by nobody
		netip.MustParseAddr("2001:db8:1234:1a00::42"),
	}
	got, err := acct.EC2.InterfacesByPublicIP(t.Context(), "ap-southeast-1", ips)
	if err != nil {
		t.Fatal(err)
	}
	want := []evidence.NetworkInterface{
		{ID: "eni-0a1b2c3d4e5f60718", Region: "ap-southeast-1", PublicIP: "198.51.100.7", PrivateIP: "10.0.0.200",
			InterfaceType: "nat_gateway", Description: "Interface for NAT Gateway nat-0123456789abcdef0",
			RequesterID: "036872051663", RequesterManaged: true, OwnerID: "053230519467", VPCID: "vpc-cc3c87a5"},
		{ID: "eni-0c9d8e7f6a5b4c3d2", Region: "ap-southeast-1", PublicIP: "2001:db8:1234:1a00::42", PrivateIP: "10.0.1.17",
			InterfaceType: "lambda", Description: "AWS Lambda VPC ENI-my-function-1a2b3c4d",
			RequesterID: "AROAEXAMPLEID:1a2b3c4d-lambda", RequesterManaged: true, OwnerID: "053230519467", VPCID: "vpc-cc3c87a5"},
		{ID: "eni-0f62d866", Region: "ap-southeast-1", PublicIP: "203.0.113.14", PrivateIP: "10.0.0.148",
			InterfaceType: "interface", InstanceID: "i-1234567890abcdef0", OwnerID: "053230519467", VPCID: "vpc-cc3c87a5",
			SecurityGroupIDs: []string{"sg-3f4b5653"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("InterfacesByPublicIP =\n%+v\nwant\n%+v", got, want)
	}
	filters := map[string]bool{}
	for _, c := range s.Calls("ec2:DescribeNetworkInterfaces") {
		filters[c.Form.Get("Filter.1.Name")] = true
	}
	if !filters["association.public-ip"] || !filters["ipv6-addresses.ipv6-address"] {
		t.Errorf("filters used = %v, want association.public-ip and ipv6-addresses.ipv6-address", filters)
	}
}

func TestSecurityGroupsOpenIngress(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	acct := openMember(t, s)
	got, err := acct.EC2.SecurityGroups(t.Context(), "eu-west-1", []string{"sg-1a2b3c4d", "sg-9a8b7c6d"})
	if err != nil {
		t.Fatal(err)
	}
	want := []evidence.SecurityGroup{
		{ID: "sg-1a2b3c4d", Region: "eu-west-1", Name: "WebServers", Description: "Web Servers", VPCID: "vpc-614cc409",
			OpenIngress: []evidence.OpenRule{
				{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0"},
				{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"},
				{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "::/0"},
			}},
		{ID: "sg-9a8b7c6d", Region: "eu-west-1", Name: "wide-open", Description: "launch-wizard-1", VPCID: "vpc-614cc409",
			OpenIngress: []evidence.OpenRule{{Protocol: "-1", FromPort: 0, ToPort: 65535, CIDR: "0.0.0.0/0"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SecurityGroups =\n%+v\nwant\n%+v", got, want)
	}
}

// TestEC2Failures covers the retryer and error classes through the real
// client: throttling and 5xx are retried, the rest surface classified.
func TestEC2Failures(t *testing.T) {
	t.Parallel()
	okBody := func(t *testing.T) awsxtest.Reply {
		return awsxtest.Reply{Body: awsxtest.Body(t, "ec2/DescribeSecurityGroups.xml", nil)}
	}
	tests := []struct {
		name      string
		replies   func(t *testing.T) []awsxtest.Reply
		wantErr   error
		wantCalls int
	}{
		{"throttled then fine", func(t *testing.T) []awsxtest.Reply {
			return []awsxtest.Reply{awsxtest.EC2Error(503, "RequestLimitExceeded", "Request limit exceeded."), okBody(t)}
		}, nil, 2},
		{"500 then fine", func(t *testing.T) []awsxtest.Reply {
			return []awsxtest.Reply{awsxtest.EC2Error(500, "InternalError", "An internal error has occurred"), okBody(t)}
		}, nil, 2},
		{"throttled throughout", func(t *testing.T) []awsxtest.Reply {
			return []awsxtest.Reply{awsxtest.EC2Error(503, "RequestLimitExceeded", "Request limit exceeded.")}
		}, awsx.ErrThrottled, 3},
		{"unauthorized", func(t *testing.T) []awsxtest.Reply {
			return []awsxtest.Reply{awsxtest.EC2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation.")}
		}, awsx.ErrAccessDenied, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fakeAccount(t)
			s.Handle("ec2:DescribeSecurityGroups", awsxtest.Sequence(tt.replies(t)...))
			acct := openMember(t, s)
			_, err := acct.EC2.SecurityGroups(t.Context(), "eu-west-1", []string{"sg-1a2b3c4d"})
			if tt.wantErr == nil && err != nil {
				t.Fatalf("SecurityGroups: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("SecurityGroups error = %v, want %v", err, tt.wantErr)
			}
			if n := len(s.Calls("ec2:DescribeSecurityGroups")); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestSlowResponseTimesOut(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	s.Handle("ec2:DescribeInstances", func(awsxtest.Call) awsxtest.Reply {
		return awsxtest.Reply{Delay: 500 * time.Millisecond, Body: "<DescribeInstancesResponse/>"}
	})
	acct := openMember(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := acct.EC2.Instances(ctx, "eu-west-1", []string{"i-1234567890abcdef0"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Instances on a slow endpoint = %v, want context.DeadlineExceeded", err)
	}
	if awsx.Reason(err) != "timed out" {
		t.Errorf("Reason = %q, want timed out", awsx.Reason(err))
	}
}

func TestRejectsBadRegion(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	acct := openMember(t, s)
	for _, region := range []string{"", "evil.com/", "us-east-1.attacker.example#"} {
		if _, err := acct.EC2.Instances(t.Context(), region, []string{"i-1234567890abcdef0"}); err == nil {
			t.Errorf("Instances(region %q) = nil error, want rejection", region)
		}
	}
	if n := len(s.Calls("ec2:DescribeInstances")); n != 0 {
		t.Errorf("calls = %d, want none", n)
	}
}
