package enrich_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

// leakyTrail returns a GetFederationToken record whose response holds the
// credentials in clear, as CloudTrail logs them.
type leakyTrail struct{ rec cloudtrail.Record }

func (l leakyTrail) LookupEvents(_ context.Context, region string, q evidence.TrailQuery) (evidence.TrailResult, error) {
	return evidence.TrailResult{Region: region, Query: q, Records: []cloudtrail.Record{l.rec}}, nil
}

type trailOnly struct{ t enrich.Trail }

func (c trailOnly) Connect(_ context.Context, account, _ string) (*enrich.Account, error) {
	return &enrich.Account{ID: account, Access: "demo", Trail: c.t}, nil
}

func TestRawTrailIsRedacted(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	token := strings.Repeat("IQoJb3JpZ2luX2VjEJr", 15)
	rec := cloudtrail.Record{
		EventID: "e1", EventTime: at.Add(-1), EventSource: "sts.amazonaws.com", EventName: "GetFederationToken",
		AWSRegion: "us-east-1", SourceIPAddress: "198.51.100.7", UserAgent: "curl secret=" + secret,
		UserIdentity:      cloudtrail.UserIdentity{Type: "IAMUser", UserName: "bob", AccessKeyID: "AKIAIOSFODNN7EXAMPLE"},
		RequestParameters: json.RawMessage(`{"name":"x"}`),
		ResponseElements:  json.RawMessage(`{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"` + secret + `","sessionToken":"` + token + `"}}`),
	}
	req := enrich.Request{Account: "123456789012", CaseID: "c", Category: "credentials-exposed", At: at,
		Regions: []string{"us-east-1"}, AccessKeyIDs: []string{"AKIAIOSFODNN7EXAMPLE"}}
	res := (&enrich.Engine{Connector: trailOnly{leakyTrail{rec}}}).Run(context.Background(), req)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, token[:60]} {
		if strings.Contains(string(b), s) {
			t.Fatalf("the enrichment result holds a secret (%.12s…)", s)
		}
	}
	if len(res.Bundle.Trail) != 1 || len(res.Bundle.Trail[0].Records) != 1 || !json.Valid(res.Bundle.Trail[0].Records[0].ResponseElements) {
		t.Fatalf("the record was lost or broken: %+v", res.Bundle.Trail)
	}
	if !strings.Contains(string(res.Bundle.Trail[0].Records[0].ResponseElements), "ASIAEXAMPLE") {
		t.Error("redaction removed more than the secrets")
	}
}
