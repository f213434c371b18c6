package iampolicy

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"testing"
)

const (
	adminDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	starStarDoc  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}}`
	readOnlyDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`
	iamWriterDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*","iam:Create*"],"Resource":"*"}]}`
	trustDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999999999999:root","111111111111"]},"Action":"sts:AssumeRole"}]}`
)

// encoded is a document as IAM returns it.
func encoded(doc string) string { return url.PathEscape(doc) }

// quoted is a document as CloudTrail logs it inside a JSON string.
func quoted(doc string) json.RawMessage { return json.RawMessage(strconv.Quote(doc)) }

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
		{"", "iam:CreateUser", false},
		{"iam:createuser", "iam:CreateUser", true},
	}
	for _, tt := range tests {
		if got := wildMatch(tt.pattern, tt.action); got != tt.want {
			t.Errorf("wildMatch(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestChecks(t *testing.T) {
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

		{"allow effect in any case", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, true, true, false},
		{"admin needs star resource in a list", `{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":["arn:aws:s3:::b","*"]}]}`, true, true, false},
		{"NotAction star grants nothing", `{"Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}`, false, false, false},
		{"NotAction is never admin", `{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`, false, true, false},
		{"no Action at all", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, false, false, false},
		{"Action as a string, wildcard", `{"Statement":{"Effect":"Allow","Action":"iam:Put*Policy","Resource":"*"}}`, false, true, false},
		{"public AWS principal as a string", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}]}`, false, false, true},
		{"public AWS principal narrowed", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`, false, false, false},
		{"null condition does not narrow", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*","Condition":null}]}`, false, false, true},
		{"function URL auth NONE is public", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`, false, false, true},
		{"function URL auth IAM is not", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}}]}`, false, false, false},
		{"auth NONE plus another key narrows", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE","AWS:SourceAccount":"123456789012"}}}]}`, false, false, false},
		{"denied star principal", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, false, false, false},
		{"principal list is not star", `{"Statement":[{"Effect":"Allow","Principal":["*"],"Action":"s3:*","Resource":"*"}]}`, false, false, false},
		{"unexpected Action shape is no actions", `{"Statement":[{"Effect":"Allow","Action":5,"Resource":"*"},{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}]}`, false, true, false},
		{"empty document", `{}`, false, false, false},
		{"json null", `null`, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.GrantsAll() != tt.admin || d.WritesIAM() != tt.writesIAM || d.Public() != tt.isPublic {
				t.Errorf("admin %v writesIAM %v public %v; want %v %v %v",
					d.GrantsAll(), d.WritesIAM(), d.Public(), tt.admin, tt.writesIAM, tt.isPublic)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		"%7B not json",
		"%zz",
		"",
		`{"Statement":"not a statement"}`,
		`{"Statement":[{"Effect":"Allow"},5]}`,
		`[1,2]`,
	} {
		t.Run(doc, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse(doc); err == nil {
				t.Errorf("Parse(%q) = nil error", doc)
			}
		})
	}
}

func TestParseKeepsPlus(t *testing.T) {
	t.Parallel()
	// RFC 3986: a literal '+' is a '+', as in IAM names.
	d, err := Parse(`%7B%22Statement%22:%7B%22Effect%22:%22Allow%22,%22Principal%22:%7B%22AWS%22:%22arn:aws:iam::999999999999:user/a+b%22%7D%7D%7D`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.ExternalPrincipals("111111111111"), []string{"arn:aws:iam::999999999999:user/a+b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ExternalPrincipals = %q, want %q", got, want)
	}
}

func TestParseRaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    json.RawMessage
		ok     bool
		admin  bool
		public bool
	}{
		{"object", json.RawMessage(adminDoc), true, true, false},
		{"object with surrounding space", json.RawMessage("\n  " + adminDoc + " "), true, true, false},
		{"JSON in a string", quoted(adminDoc), true, true, false},
		{"URL-encoded in a string", quoted(encoded(adminDoc)), true, true, false},
		{"URL-encoded lower case in a string", json.RawMessage(`"%7b%22Statement%22%3a%7b%22Effect%22%3a%22Allow%22%2c%22Action%22%3a%22*%22%2c%22Resource%22%3a%22*%22%7d%7d"`), true, true, false},
		{"form-encoded spaces in a string", json.RawMessage(`"%7B%22Statement%22:+%7B%22Effect%22:+%22Allow%22,+%22Principal%22:+%22*%22,+%22Action%22:+%22s3:*%22%7D%7D"`), true, false, true},
		{"single statement object in a string", quoted(starStarDoc), true, true, false},
		{"read only", json.RawMessage(readOnlyDoc), true, false, false},
		{"null", json.RawMessage(`null`), false, false, false},
		{"empty", nil, false, false, false},
		{"blank", json.RawMessage("  "), false, false, false},
		{"empty object", json.RawMessage(`{}`), true, false, false},
		{"empty string", json.RawMessage(`""`), false, false, false},
		{"string that is not a policy", json.RawMessage(`"arn:aws:iam::aws:policy/ReadOnlyAccess"`), false, false, false},
		{"encoded garbage", quoted("%7B not json"), false, false, false},
		{"bad escape", quoted("%7B%zz"), false, false, false},
		{"array", json.RawMessage(`[]`), false, false, false},
		{"number", json.RawMessage(`5`), false, false, false},
		{"Statement of the wrong shape", json.RawMessage(`{"Statement":5}`), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ok := ParseRaw(tt.raw)
			if ok != tt.ok {
				t.Fatalf("ParseRaw(%s) ok = %v, want %v", tt.raw, ok, tt.ok)
			}
			if d.GrantsAll() != tt.admin || d.Public() != tt.public {
				t.Errorf("admin %v public %v; want %v %v", d.GrantsAll(), d.Public(), tt.admin, tt.public)
			}
		})
	}
}

func TestGrants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, action string
		want              bool
	}{
		{"exact", `{"Statement":{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}}`, "iam:CreateUser", true},
		{"wildcard", iamWriterDoc, "iam:CreateAccessKey", true},
		{"not listed", iamWriterDoc, "iam:AttachUserPolicy", false},
		{"NotAction leaves it in", `{"Statement":{"Effect":"Allow","NotAction":["s3:*"],"Resource":"*"}}`, "iam:AttachUserPolicy", true},
		{"NotAction takes it out", `{"Statement":{"Effect":"Allow","NotAction":"IAM:*","Resource":"*"}}`, "iam:AttachUserPolicy", false},
		{"Action wins over NotAction", `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"ec2:*","Resource":"*"}}`, "iam:AttachUserPolicy", false},
		{"deny", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, "iam:CreateUser", false},
		{"second statement", `{"Statement":[{"Effect":"Deny","Action":"*"},{"Effect":"Allow","Action":"iam:*"}]}`, "iam:CreateUser", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := d.Grants(tt.action); got != tt.want {
				t.Errorf("Grants(%s) = %v, want %v", tt.action, got, tt.want)
			}
		})
	}
}

func TestExternalPrincipals(t *testing.T) {
	t.Parallel()
	const self = "111111111111"
	tests := []struct {
		name string
		raw  json.RawMessage
		want []string
	}{
		{"other account trusted", json.RawMessage(trustDoc), []string{"arn:aws:iam::999999999999:root"}},
		{"trust policy in a string", quoted(trustDoc), []string{"arn:aws:iam::999999999999:root"}},
		{"trust policy URL-encoded in a string", quoted(encoded(trustDoc)), []string{"arn:aws:iam::999999999999:root"}},
		{"bare account id", json.RawMessage(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"sts:AssumeRole"}}`), []string{"999999999999"}},
		{"own account only", json.RawMessage(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"sts:AssumeRole"}}`), nil},
		{"service", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), nil},
		{"federated", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::999999999999:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`), nil},
		{"anyone", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`), []string{"*"}},
		{"anyone as AWS star", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}`), []string{"*"}},
		{"AWS star narrowed by a condition", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`), nil},
		{"star with a null condition is unconditional", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":null}]}`), []string{"*"}},
		{"star with an empty condition is unconditional", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{}}]}`), []string{"*"}},
		{"star beside another account", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*","999999999999"]},"Action":"s3:GetObject"}]}`), []string{"*"}},
		{"star narrowed, another account kept", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*","999999999999"]},"Action":"s3:GetObject","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`), []string{"999999999999"}},
		{"deny", json.RawMessage(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}`), nil},
		{"no principal", json.RawMessage(adminDoc), nil},
		{"principal of the wrong shape", json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":{"x":1}},"Action":"s3:*"},{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"s3:*"}]}`), []string{"999999999999"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ok := ParseRaw(tt.raw)
			if !ok {
				t.Fatalf("ParseRaw(%s) not ok", tt.raw)
			}
			if got := d.ExternalPrincipals(self); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExternalPrincipals = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAccountOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ principal, want string }{
		{"999999999999", "999999999999"},
		{"arn:aws:iam::999999999999:root", "999999999999"},
		{"arn:aws-cn:iam::999999999999:role/path/r", "999999999999"},
		{"arn:aws:s3:::bucket", ""},
		{"*", ""},
		{"99999999999", ""},
		{"9999999999a9", ""},
		{"ec2.amazonaws.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := AccountOf(tt.principal); got != tt.want {
			t.Errorf("AccountOf(%q) = %q, want %q", tt.principal, got, tt.want)
		}
	}
}
