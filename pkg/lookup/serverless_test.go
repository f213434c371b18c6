package lookup

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

const (
	backdoorARN = "arn:aws:lambda:us-west-2:123456789012:function:user-provisioner"
	plainARN    = "arn:aws:lambda:us-west-2:123456789012:function:thumbnailer"
)

// serverlessAccount adds the backdoor seen in practice: a recent REST API
// whose POST /users invokes a function with a public URL whose role can
// create IAM users; plus an old, harmless function and an old HTTP API.
func serverlessAccount(t *testing.T) *awsxtest.Server {
	s := fakeAccount(t)
	type fn struct{ Name, Role, LastModified string }
	s.Handle("lambda:ListFunctions", awsxtest.Pages(
		awsxtest.Body(t, "lambda/ListFunctions.json", map[string]any{"NextMarker": "m2", "Functions": []fn{
			{"user-provisioner", "arn:aws:iam::123456789012:role/service-role/backdoor-role", "2024-05-19T03:12:09.000+0000"},
		}}),
		awsxtest.Body(t, "lambda/ListFunctions.json", map[string]any{"NextMarker": "", "Functions": []fn{
			{"thumbnailer", "arn:aws:iam::123456789012:role/thumbnail-role", "2021-01-04T10:00:00.000+0000"},
		}})))
	s.Handle("lambda:ListFunctionUrlConfigs", func(c awsxtest.Call) awsxtest.Reply {
		if c.Path["name"] == "user-provisioner" {
			return awsxtest.Reply{Body: awsxtest.Body(t, "lambda/ListFunctionUrlConfigs.json", map[string]any{"AuthType": "NONE", "Name": "user-provisioner"})}
		}
		return awsxtest.Reply{Body: awsxtest.Body(t, "lambda/ListFunctionUrlConfigs-empty.json", nil)}
	})
	s.Handle("lambda:GetPolicy", func(c awsxtest.Call) awsxtest.Reply {
		if c.Path["name"] == "user-provisioner" {
			doc := `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + backdoorARN + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`
			return awsxtest.Reply{Body: awsxtest.Body(t, "lambda/GetPolicy.json", map[string]any{"Policy": fmt.Sprintf("%q", doc)})}
		}
		return awsxtest.RESTError(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
	})
	type api struct {
		ID, Name, Created string
		Epoch             int64
	}
	s.Handle("apigateway:GetRestApis", awsxtest.Static(awsxtest.Body(t, "apigateway/GetRestApis.json", map[string]any{"APIs": []api{
		{ID: "a1b2c3d4e5", Name: "users", Epoch: time.Date(2024, 5, 19, 3, 20, 0, 0, time.UTC).Unix()},
		{ID: "z9y8x7w6v5", Name: "legacy", Epoch: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Unix()},
	}})))
	s.Handle("apigateway:GetResources", awsxtest.Static(awsxtest.Body(t, "apigateway/GetResources.json", map[string]any{"Function": backdoorARN})))
	s.Handle("apigateway:GetApis", awsxtest.Static(awsxtest.Body(t, "apigateway/GetApis.json", map[string]any{"APIs": []api{
		{ID: "h1t2t3p4a5", Name: "old-http", Created: "2021-02-03T04:05:06Z"},
	}})))
	s.Handle("apigateway:GetIntegrations", awsxtest.Static(awsxtest.Body(t, "apigateway/GetIntegrations.json", map[string]any{"Function": plainARN})))
	return s
}

func TestHunt(t *testing.T) {
	t.Parallel()
	s := serverlessAccount(t)
	acct := openMember(t, s)
	since := time.Date(2024, 4, 20, 0, 0, 0, 0, time.UTC)
	got, err := acct.Serverless.Hunt(t.Context(), "us-west-2", since)
	if err != nil {
		t.Fatalf("Hunt: %v", err)
	}
	want := evidence.Serverless{
		Region: "us-west-2",
		Functions: []evidence.Function{{
			Name: "user-provisioner", ARN: backdoorARN, Region: "us-west-2", Runtime: "nodejs20.x",
			Role:            "arn:aws:iam::123456789012:role/service-role/backdoor-role",
			LastModified:    time.Date(2024, 5, 19, 3, 12, 9, 0, time.UTC),
			RoleCanWriteIAM: true, URLAuthNone: true, PublicPolicy: true,
		}},
		APIs: []evidence.API{{ID: "a1b2c3d4e5", Name: "users", Kind: "REST", Region: "us-west-2",
			Created: time.Date(2024, 5, 19, 3, 20, 0, 0, time.UTC), Functions: []string{backdoorARN}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Hunt =\n%+v\nwant\n%+v", got, want)
	}
	if c := s.Calls("apigateway:GetResources"); len(c) != 1 || c[0].Query.Get("embed") != "methods" {
		t.Errorf("GetResources calls = %+v, want one for the recent API with embed=methods", c)
	}
	if n := len(s.Calls("apigateway:GetIntegrations")); n != 0 {
		t.Errorf("GetIntegrations calls = %d, want none for an old HTTP API", n)
	}
	for _, c := range s.Calls("") {
		if c.Service != "iam" && c.Service != "sts" && c.Region != "us-west-2" {
			t.Errorf("%s signed for %s, want us-west-2", c.Key(), c.Region)
		}
	}
}

func TestHuntFailureIsAnError(t *testing.T) {
	t.Parallel()
	s := serverlessAccount(t)
	s.Handle("apigateway:GetRestApis", func(awsxtest.Call) awsxtest.Reply {
		return awsxtest.RESTError(http.StatusForbidden, "AccessDeniedException", "User is not authorized to access this resource")
	})
	acct := openMember(t, s)
	if _, err := acct.Serverless.Hunt(t.Context(), "us-west-2", time.Time{}); err == nil {
		t.Fatal("Hunt with API Gateway denied: want an error (a gap), not a partial result")
	}
}
