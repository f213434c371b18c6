package lookup

import "testing"

func TestWildMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "iam:CreateUser", true},
		{"iam:*", "iam:CreateUser", true},
		{"IAM:create*", "iam:CreateUser", true},
		{"iam:Create?ser", "iam:CreateUser", true},
		{"iam:Get*", "iam:CreateUser", false},
		{"s3:*", "iam:CreateUser", false},
		{"*:*", "iam:CreateUser", true},
		{"iam:*User", "iam:CreateAccessKey", false},
		{"*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tt := range tests {
		if got := wildMatch(tt.pattern, tt.action); got != tt.want {
			t.Errorf("wildMatch(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestPolicyChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		doc                        string
		admin, writesIAM, isPublic bool
	}{
		{"admin", adminDoc, true, true, false},
		{"star star, single statement object", starStarDoc, true, true, false},
		{"read only", readOnlyDoc, false, false, false},
		{"iam writer", iamWriterDoc, false, true, false},
		{"url encoded", encoded(adminDoc), true, true, false},
		{"NotAction leaving IAM in", `{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`, false, true, false},
		{"NotAction excluding IAM", `{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`, false, false, false},
		{"deny is not a grant", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, false, false, false},
		{"admin on one bucket only", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}`, false, true, false},
		{"public principal", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}]}`, false, false, true},
		{"public AWS principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"lambda:InvokeFunction","Resource":"*"}]}`, false, false, true},
		{"star narrowed by source account", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"}}}]}`, false, false, false},
		{"service principal", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*"}]}`, false, false, false},
	}
	for _, tt := range tests {
		d, err := parsePolicy(tt.doc)
		if err != nil {
			t.Errorf("%s: parsePolicy: %v", tt.name, err)
			continue
		}
		if d.isAdmin() != tt.admin || d.writesIAM() != tt.writesIAM || d.public() != tt.isPublic {
			t.Errorf("%s: admin %v writesIAM %v public %v; want %v %v %v", tt.name,
				d.isAdmin(), d.writesIAM(), d.public(), tt.admin, tt.writesIAM, tt.isPublic)
		}
	}
	if _, err := parsePolicy("%7B not json"); err == nil {
		t.Error("parsePolicy(garbage) = nil error")
	}
}
