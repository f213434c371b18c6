package cloudtrail

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

const acct = "111122223333"

var (
	user      = map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + acct + ":user/alice", "userName": "alice", "accountId": acct, "accessKeyId": "AKIAALICE00000000001"}
	root      = map[string]any{"type": "Root", "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct}
	roleTemp  = map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::" + acct + ":assumed-role/ops/s", "accessKeyId": "ASIAOPS0000000000001", "sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "userName": "ops"}}}
	lambdaFn  = map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::" + acct + ":assumed-role/fn-role/backdoor", "accessKeyId": "ASIAFN00000000000001", "sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "userName": "fn-role"}}}
	lambdaUA  = "Boto3/1.34 md/Botocore#1.34 ua/2.0 os/linux lang/python#3.12 exec-env/AWS_Lambda_python3.12"
	t0        = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	adminARN  = "arn:aws:iam::aws:policy/AdministratorAccess"
	starStar  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	readOnlyP = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

// ev builds a record from a base API call and overrides.
func ev(src, name string, ident map[string]any, kv ...any) map[string]any {
	m := map[string]any{
		"eventVersion": "1.10", "eventTime": t0.Format(time.RFC3339), "eventSource": src + ".amazonaws.com", "eventName": name,
		"awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2", "userIdentity": ident,
		"recipientAccountId": acct, "eventType": "AwsApiCall", "eventID": fmt.Sprintf("id-%s-%d", name, len(kv)),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func at(m map[string]any, d time.Duration, kv ...any) map[string]any {
	c := maps.Clone(m)
	c["eventTime"] = t0.Add(d).Format(time.RFC3339)
	c["eventID"] = fmt.Sprintf("%v-%v", m["eventID"], d)
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

func times(m map[string]any, n int, step time.Duration, vary func(i int, c map[string]any)) []map[string]any {
	var out []map[string]any
	for i := range n {
		c := at(m, time.Duration(i)*step)
		if vary != nil {
			vary(i, c)
		}
		out = append(out, c)
	}
	return out
}

type req = map[string]any

func toRecords(t *testing.T, ms []map[string]any) []Record {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Records": ms})
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := readAll(t, b)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func one(m map[string]any) []map[string]any { return []map[string]any{m} }

func TestIndicators(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id       string
		pos, neg []map[string]any
	}{
		{"iam-user-created", one(ev("iam", "CreateUser", user, "requestParameters", req{"userName": "bob"})), one(ev("iam", "GetUser", user, "requestParameters", req{"userName": "bob"}))},
		{"iam-access-key-for-other-user", one(ev("iam", "CreateAccessKey", user, "requestParameters", req{"userName": "bob"})), one(ev("iam", "CreateAccessKey", user, "requestParameters", req{"userName": "alice"}))},
		{"root-access-key-created", one(ev("iam", "CreateAccessKey", root)), one(ev("iam", "CreateAccessKey", user))},
		{"iam-login-profile-for-other-user", one(ev("iam", "UpdateLoginProfile", user, "requestParameters", req{"userName": "bob"})), one(ev("iam", "UpdateLoginProfile", user, "requestParameters", req{"userName": "alice"}))},
		{"iam-admin-policy-attached", one(ev("iam", "AttachRolePolicy", user, "requestParameters", req{"roleName": "r", "policyArn": adminARN})), one(ev("iam", "AttachRolePolicy", user, "requestParameters", req{"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}))},
		{"iam-admin-policy-attached", one(ev("iam", "PutUserPolicy", user, "requestParameters", req{"userName": "bob", "policyDocument": starStar})), one(ev("iam", "PutUserPolicy", user, "requestParameters", req{"userName": "bob", "policyDocument": readOnlyP}))},
		{"iam-quarantine-policy-attached", one(ev("iam", "AttachUserPolicy", user, "requestParameters", req{"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"})), one(ev("iam", "AttachUserPolicy", user, "requestParameters", req{"userName": "bob", "policyArn": adminARN + "x"}))},
		{"iam-mfa-removed", one(ev("iam", "DeactivateMFADevice", user, "requestParameters", req{"userName": "bob"})), one(ev("iam", "ListMFADevices", user))},
		{"iam-mfa-enrolled-temporary-credentials", one(ev("iam", "EnableMFADevice", roleTemp, "requestParameters", req{"userName": "bob"})), one(ev("iam", "EnableMFADevice", user, "requestParameters", req{"userName": "bob"}))},
		{"root-console-login", one(ev("signin", "ConsoleLogin", root, "responseElements", req{"ConsoleLogin": "Success"}, "additionalEventData", req{"MFAUsed": "No"})), one(ev("signin", "ConsoleLogin", root, "responseElements", req{"ConsoleLogin": "Failure"}))},
		{"root-failed-logins", times(ev("signin", "ConsoleLogin", root, "responseElements", req{"ConsoleLogin": "Failure"}, "errorMessage", "Failed authentication"), 3, time.Minute, nil), times(ev("signin", "ConsoleLogin", root, "responseElements", req{"ConsoleLogin": "Failure"}), 3, time.Hour, nil)},
		{"root-password-recovery", one(ev("signin", "PasswordRecoveryCompleted", root)), one(ev("signin", "PasswordRecoveryCompleted", user))},
		{"root-write-action", one(ev("ec2", "RunInstances", root, "readOnly", false)), one(ev("ec2", "DescribeInstances", root, "readOnly", true))},
		{"iam-console-login-without-mfa", one(ev("signin", "ConsoleLogin", user, "responseElements", req{"ConsoleLogin": "Success"}, "additionalEventData", req{"MFAUsed": "No"})), one(ev("signin", "ConsoleLogin", user, "responseElements", req{"ConsoleLogin": "Success"}, "additionalEventData", req{"MFAUsed": "Yes"}))},
		{"cloudtrail-tampered", one(ev("cloudtrail", "StopLogging", user, "requestParameters", req{"name": "t"})), one(ev("cloudtrail", "StartLogging", user, "requestParameters", req{"name": "t"}))},
		{"cloudtrail-tampered", one(ev("cloudtrail", "PutEventSelectors", user, "requestParameters", req{"trailName": "t", "advancedEventSelectors": []req{{"fieldSelectors": []req{{"field": "eventCategory", "equals": []string{"Data"}}}}}})),
			one(ev("cloudtrail", "PutEventSelectors", user, "requestParameters", req{"trailName": "t", "eventSelectors": []req{{"includeManagementEvents": true, "readWriteType": "All"}}}))},
		{"security-logging-disabled", one(ev("guardduty", "UpdateDetector", user, "requestParameters", req{"detectorId": "d", "enable": false})), one(ev("guardduty", "UpdateDetector", user, "requestParameters", req{"detectorId": "d", "enable": true}))},
		{"security-logging-disabled", one(ev("config", "StopConfigurationRecorder", user)), one(ev("config", "StartConfigurationRecorder", user))},
		{"organizations-leave", one(ev("organizations", "LeaveOrganization", user)), one(ev("organizations", "DescribeOrganization", user))},
		{"iam-write-by-lambda-role", one(ev("iam", "CreateAccessKey", lambdaFn, "userAgent", lambdaUA, "readOnly", false)), one(ev("iam", "CreateAccessKey", roleTemp, "readOnly", false))},
		{"lambda-public", one(ev("lambda", "CreateFunctionUrlConfig20211031", user, "requestParameters", req{"functionName": "f", "authType": "NONE"})), one(ev("lambda", "CreateFunctionUrlConfig20211031", user, "requestParameters", req{"functionName": "f", "authType": "AWS_IAM"}))},
		{"lambda-public", one(ev("lambda", "AddPermission20150331v2", user, "requestParameters", req{"functionName": "f", "principal": "*"})), one(ev("lambda", "AddPermission20150331v2", user, "requestParameters", req{"functionName": "f", "principal": "s3.amazonaws.com"}))},
		{"lambda-code-replaced", one(ev("lambda", "UpdateFunctionCode20150331v2", user, "requestParameters", req{"functionName": "f"})), one(ev("lambda", "GetFunction20150331v2", user, "requestParameters", req{"functionName": "f"}))},
		{"lambda-layer-added", one(ev("lambda", "UpdateFunctionConfiguration20150331v2", user, "requestParameters", req{"functionName": "f", "layers": []string{"arn:aws:lambda:eu-west-1:999999999999:layer:x:1"}})), one(ev("lambda", "UpdateFunctionConfiguration20150331v2", user, "requestParameters", req{"functionName": "f", "timeout": 30}))},
		{"ec2-unusual-instance", one(ev("ec2", "RunInstances", user, "requestParameters", req{"instanceType": "g5.12xlarge"})), one(ev("ec2", "RunInstances", user, "requestParameters", req{"instanceType": "t3.micro"}))},
		{"ec2-vcpu-quota-recon", times(ev("servicequotas", "GetServiceQuota", user, "requestParameters", req{"serviceCode": "ec2", "quotaCode": "L-1216C47A"}), 3, time.Minute, func(i int, c map[string]any) { c["awsRegion"] = []string{"us-east-1", "us-west-2", "eu-west-1"}[i] }),
			times(ev("servicequotas", "GetServiceQuota", user, "requestParameters", req{"serviceCode": "ec2", "quotaCode": "L-1216C47A"}), 3, time.Minute, nil)},
		{"ses-recon", []map[string]any{ev("ses", "GetSendQuota", user), at(ev("ses", "ListIdentities", user), time.Minute)}, []map[string]any{ev("ses", "GetSendQuota", user), at(ev("ses", "GetSendQuota", user), time.Minute)}},
		{"ses-spam-setup", one(ev("ses", "VerifyEmailIdentity", user, "requestParameters", req{"emailAddress": "x@example.com"})), one(ev("ses", "UpdateAccountSendingEnabled", user, "requestParameters", req{"enabled": false}))},
		{"secrets-read-burst", times(ev("secretsmanager", "GetSecretValue", user, "requestParameters", req{"secretId": "s"}), 5, time.Minute, nil), times(ev("secretsmanager", "GetSecretValue", user, "requestParameters", req{"secretId": "s"}), 5, time.Hour, nil)},
		{"s3-bucket-policy-exposed", one(ev("s3", "PutBucketPolicy", user, "requestParameters", req{"bucketName": "b", "bucketPolicy": req{"Statement": []req{{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}}})),
			one(ev("s3", "PutBucketPolicy", user, "requestParameters", req{"bucketName": "b", "bucketPolicy": req{"Statement": []req{{"Effect": "Allow", "Principal": req{"AWS": "arn:aws:iam::" + acct + ":root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}}}))},
		{"ec2-snapshot-shared", one(ev("ec2", "ModifySnapshotAttribute", user, "requestParameters", req{"snapshotId": "snap-1", "createVolumePermission": req{"add": req{"items": []req{{"group": "all"}}}}})), one(ev("ec2", "ModifySnapshotAttribute", user, "requestParameters", req{"snapshotId": "snap-1", "createVolumePermission": req{"remove": req{"items": []req{{"userId": "999999999999"}}}}}))},
		{"ec2-ami-shared", one(ev("ec2", "ModifyImageAttribute", user, "requestParameters", req{"imageId": "ami-1", "launchPermission": req{"add": req{"items": []req{{"userId": "999999999999"}}}}})), one(ev("ec2", "ModifyImageAttribute", user, "requestParameters", req{"imageId": "ami-1", "description": req{"value": "x"}}))},
		{"rds-snapshot-shared", one(ev("rds", "ModifyDBSnapshotAttribute", user, "requestParameters", req{"dBSnapshotIdentifier": "s", "attributeName": "restore", "valuesToAdd": []string{"all"}})), one(ev("rds", "ModifyDBSnapshotAttribute", user, "requestParameters", req{"dBSnapshotIdentifier": "s", "attributeName": "restore", "valuesToRemove": []string{"999999999999"}}))},
		{"ec2-admin-port-open-to-world", one(ev("ec2", "AuthorizeSecurityGroupIngress", user, "requestParameters", req{"groupId": "sg-1", "ipPermissions": req{"items": []req{{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "ipRanges": req{}, "ipv6Ranges": req{"items": []req{{"cidrIpv6": "::/0"}}}}}}})),
			one(ev("ec2", "AuthorizeSecurityGroupIngress", user, "requestParameters", req{"groupId": "sg-1", "ipPermissions": req{"items": []req{{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": req{"items": []req{{"cidrIp": "0.0.0.0/0"}}}}}}}))},
		{"iam-trust-policy-external", one(ev("iam", "UpdateAssumeRolePolicy", user, "requestParameters", req{"roleName": "r", "policyDocument": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999999999999:root"]},"Action":"sts:AssumeRole"}]}`})),
			one(ev("iam", "UpdateAssumeRolePolicy", user, "requestParameters", req{"roleName": "r", "policyDocument": `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}))},
		{"sts-federation-token", one(ev("sts", "GetFederationToken", user, "requestParameters", req{"name": "x"})), one(ev("sts", "GetSessionToken", user))},
		{"access-denied-burst", times(ev("ec2", "DescribeInstances", roleTemp, "errorCode", "AccessDenied"), 12, 10*time.Second, func(i int, c map[string]any) { c["eventName"] = fmt.Sprintf("List%d", i%4) }),
			times(ev("ec2", "DescribeInstances", roleTemp, "errorCode", "AccessDenied"), 12, 10*time.Second, nil)},
		{"ec2-password-data-read", one(ev("ec2", "GetPasswordData", user, "requestParameters", req{"instanceId": "i-1"})), one(ev("ec2", "GetConsoleOutput", user))},
		{"ec2-user-data-read", times(ev("ec2", "DescribeInstanceAttribute", user, "requestParameters", req{"instanceId": "i-1", "attribute": "userData"}), 5, time.Second, nil), times(ev("ec2", "DescribeInstanceAttribute", user, "requestParameters", req{"instanceId": "i-1", "attribute": "instanceType"}), 5, time.Second, nil)},
		{"ec2-user-data-modified", one(ev("ec2", "ModifyInstanceAttribute", user, "requestParameters", req{"instanceId": "i-1", "userData": "<sensitiveDataRemoved>"})), one(ev("ec2", "ModifyInstanceAttribute", user, "requestParameters", req{"instanceId": "i-1", "instanceType": req{"value": "t3.large"}}))},
		{"ssm-command-or-session", one(ev("ssm", "SendCommand", user, "requestParameters", req{"instanceIds": []string{"i-1"}})), one(ev("ssm", "ListCommands", user))},
		{"ec2-ssh-key-pushed", one(ev("ec2-instance-connect", "SendSSHPublicKey", user, "requestParameters", req{"instanceId": "i-1"})), one(ev("ec2", "DescribeKeyPairs", user))},
		{"rolesanywhere-trust-anchor", one(ev("rolesanywhere", "CreateTrustAnchor", user, "requestParameters", req{"name": "x"})), one(ev("rolesanywhere", "ListTrustAnchors", user))},
		{"bedrock-model-access-enabled", one(ev("bedrock", "PutFoundationModelEntitlement", roleTemp)), one(ev("bedrock", "ListFoundationModels", roleTemp))},
		{"seq-create-user-then-admin", []map[string]any{ev("iam", "CreateUser", user, "requestParameters", req{"userName": "bob"}), at(ev("iam", "AttachUserPolicy", user, "requestParameters", req{"userName": "bob", "policyArn": adminARN}), time.Hour)},
			[]map[string]any{ev("iam", "CreateUser", user, "requestParameters", req{"userName": "bob"}), at(ev("iam", "AttachUserPolicy", user, "requestParameters", req{"userName": "carol", "policyArn": adminARN}), time.Hour)}},
		{"seq-new-key-used-from-new-ip", []map[string]any{ev("iam", "CreateAccessKey", user, "requestParameters", req{"userName": "bob"}, "responseElements", req{"accessKey": req{"accessKeyId": "AKIANEWKEY0000000001", "userName": "bob"}}),
			at(ev("s3", "ListBuckets", map[string]any{"type": "IAMUser", "userName": "bob", "accessKeyId": "AKIANEWKEY0000000001"}), time.Hour, "sourceIPAddress", "203.0.113.99")},
			[]map[string]any{ev("iam", "CreateAccessKey", user, "requestParameters", req{"userName": "bob"}, "responseElements", req{"accessKey": req{"accessKeyId": "AKIANEWKEY0000000001", "userName": "bob"}}),
				at(ev("s3", "ListBuckets", map[string]any{"type": "IAMUser", "userName": "bob", "accessKeyId": "AKIANEWKEY0000000001"}), time.Hour)}},
		{"seq-apigateway-lambda-backdoor", []map[string]any{
			ev("apigateway", "CreateRestApi", user, "requestParameters", req{"name": "api"}),
			at(ev("lambda", "CreateFunction20150331", user, "requestParameters", req{"functionName": "backdoor", "role": "arn:aws:iam::" + acct + ":role/fn-role"}), time.Minute),
			at(ev("lambda", "AddPermission20150331v2", user, "requestParameters", req{"functionName": "backdoor", "principal": "apigateway.amazonaws.com"}), 2*time.Minute),
			at(ev("iam", "CreateUser", lambdaFn, "userAgent", lambdaUA, "requestParameters", req{"userName": "x"}), time.Hour)},
			[]map[string]any{
				ev("apigateway", "CreateRestApi", user, "requestParameters", req{"name": "api"}),
				at(ev("lambda", "CreateFunction20150331", user, "requestParameters", req{"functionName": "backdoor", "role": "arn:aws:iam::" + acct + ":role/fn-role"}), time.Minute),
				at(ev("lambda", "AddPermission20150331v2", user, "requestParameters", req{"functionName": "backdoor", "principal": "apigateway.amazonaws.com"}), 2*time.Minute)}},
		{"recon-first-call-get-caller-identity", []map[string]any{ev("sts", "GetCallerIdentity", roleTemp), at(ev("s3", "ListBuckets", roleTemp), time.Minute)},
			[]map[string]any{at(ev("sts", "GetCallerIdentity", roleTemp), time.Minute), ev("s3", "ListBuckets", roleTemp)}},
		{"ec2-launch-in-unused-region", append(times(ev("s3", "ListBuckets", roleTemp), 25, time.Minute, nil), ev("ec2", "RunInstances", roleTemp, "awsRegion", "ap-southeast-3", "requestParameters", req{"instanceType": "c5.large"})),
			append(times(ev("s3", "ListBuckets", roleTemp), 25, time.Minute, nil), ev("ec2", "RunInstances", roleTemp, "requestParameters", req{"instanceType": "c5.large"}))},
	}
	covered := map[string]bool{}
	for i, tt := range tests {
		covered[tt.id] = true
		t.Run(fmt.Sprintf("%s/%d", tt.id, i), func(t *testing.T) {
			t.Parallel()
			if got := findingIDs(Analyze(toRecords(t, tt.pos))); !slices.Contains(got, tt.id) {
				t.Errorf("positive: %s not raised; got %v", tt.id, got)
			}
			if got := findingIDs(Analyze(toRecords(t, tt.neg))); slices.Contains(got, tt.id) {
				t.Errorf("negative: %s raised; got %v", tt.id, got)
			}
		})
	}
	for _, ind := range Indicators() {
		if !ind.Anchor && !covered[ind.ID] {
			t.Errorf("indicator %s has no table test", ind.ID)
		}
	}
}

func TestIndicatorsAreComplete(t *testing.T) {
	t.Parallel()
	for _, ind := range Indicators() {
		if ind.ID == "" || ind.Title == "" || ind.Tactic == "" || ind.Explain == "" {
			t.Errorf("indicator %+v lacks metadata", ind.ID)
		}
	}
}

func TestFailedAttemptIsLessSevere(t *testing.T) {
	t.Parallel()
	ok := Analyze(toRecords(t, one(ev("organizations", "LeaveOrganization", user))))
	denied := Analyze(toRecords(t, one(ev("organizations", "LeaveOrganization", user, "errorCode", "AccessDenied"))))
	if len(ok.Findings) != 1 || len(denied.Findings) != 1 || denied.Findings[0].Severity >= ok.Findings[0].Severity {
		t.Errorf("success %v, denied %v", ok.Findings, denied.Findings)
	}
}

func TestAttackerTextIsEscaped(t *testing.T) {
	t.Parallel()
	a := Analyze(toRecords(t, one(ev("iam", "CreateUser", user, "userAgent", "evil\x1b[2J\u202eagent", "requestParameters", req{"userName": "bob\nX"}))))
	if len(a.Findings) == 0 {
		t.Fatal("no finding")
	}
	f := a.Findings[0]
	for _, s := range []string{f.Evidence["userAgent"], f.Resource, a.Timeline[0].UserAgent, a.Timeline[0].Target} {
		for _, r := range s {
			if r < 0x20 || r == 0x202e {
				t.Errorf("control character %U survived in %q", r, s)
			}
		}
	}
}
