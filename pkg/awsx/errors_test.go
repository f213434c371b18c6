package awsx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/abusedesk/abusedesk/pkg/awsx"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"IAM throttling", api("Throttling"), awsx.ErrThrottled},
		{"EC2 throttling", api("RequestLimitExceeded"), awsx.ErrThrottled},
		{"JSON throttling", api("ThrottlingException"), awsx.ErrThrottled},
		{"STS denied", api("AccessDenied"), awsx.ErrAccessDenied},
		{"expired token", api("ExpiredToken"), awsx.ErrAccessDenied},
		{"IAM missing", api("NoSuchEntity"), awsx.ErrNotFound},
		{"S3 typed missing key", &types.NoSuchKey{}, awsx.ErrNotFound},
		{"opt-in region", api("OptInRequired"), awsx.ErrNotEnabled},
		{"wrapped", fmt.Errorf("unable to x: %w", api("Throttling")), awsx.ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := awsx.Classify(tt.err)
			if !errors.Is(got, tt.want) {
				t.Fatalf("Classify(%v) does not match %v", tt.err, tt.want)
			}
			var ae smithy.APIError
			if !errors.As(got, &ae) {
				t.Fatal("the SDK error is no longer reachable with errors.As")
			}
		})
	}
	for _, err := range []error{nil, errors.New("plain"), api("ValidationError")} {
		if got := awsx.Classify(err); got != err {
			t.Errorf("Classify(%v) = %v, want it unchanged", err, got)
		}
	}
	if got := awsx.Reason(fmt.Errorf("x: %w", context.DeadlineExceeded)); got != "timed out" {
		t.Errorf("Reason(deadline) = %q", got)
	}
	if got := awsx.Reason(api("AccessDenied")); got != "AccessDenied: m" {
		t.Errorf("Reason(api) = %q", got)
	}
}

func TestValidRegion(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5", "eusc-de-east-1", "il-central-1"} {
		if !awsx.ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = false", r)
		}
	}
	for _, r := range []string{"", "global", "<script>", "us-east-1.evil.com", "us-east-1/..", "ap-central-2r", "US-EAST-1", "xx-nowhere"} {
		if awsx.ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = true", r)
		}
	}
}

func TestCodeHidesMessages(t *testing.T) {
	t.Parallel()
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:sts::111122223333:assumed-role/enrich/x is not authorized"}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("unable to assume: %w", denied), "AccessDenied"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timed out"},
		{fmt.Errorf("demo: %w", awsx.ErrAccessDenied), "access denied"},
		{errors.New("boom 111122223333"), "error"},
	}
	for _, tt := range tests {
		if got := awsx.Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
