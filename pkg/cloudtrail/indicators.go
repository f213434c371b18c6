package cloudtrail

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/finding"
	"github.com/abusedesk/abusedesk/pkg/iampolicy"
)

// ATT&CK tactics.
const (
	InitialAccess       = "Initial Access (TA0001)"
	Execution           = "Execution (TA0002)"
	Persistence         = "Persistence (TA0003)"
	PrivilegeEscalation = "Privilege Escalation (TA0004)"
	DefenseEvasion      = "Defense Evasion (TA0005)"
	CredentialAccess    = "Credential Access (TA0006)"
	Discovery           = "Discovery (TA0007)"
	LateralMovement     = "Lateral Movement (TA0008)"
	Exfiltration        = "Exfiltration (TA0010)"
	Impact              = "Impact (TA0040)"
	ResourceDevelopment = "Resource Development (TA0042)"
)

// Indicator is one detection, declared as data. Match sees only records
// whose (version-suffix-free) event name is in Events, or every record when
// Events is empty, and must be cheap and never panic.
type Indicator struct {
	ID       string
	Title    string
	Severity finding.Severity
	Tactic   string
	Explain  string // one line for the customer
	Events   []string
	Match    func(r *Record) (Hit, bool)
	// Burst turns the indicator into a threshold over matches sharing
	// Hit.Key within a window.
	Burst *Burst
	// Anchor indicators only feed sequences and are never reported alone.
	Anchor bool
	// CountsFailures keeps the severity for refused calls (failed logins,
	// AccessDenied bursts are the signal themselves).
	CountsFailures bool
	// SQL is the WHERE clause over the Athena CloudTrail table; "" means
	// the indicator needs state Athena cannot express in one query.
	SQL string
}

// Hit is what a match contributes.
type Hit struct {
	Target   string // the resource acted on (user, role, function, ...)
	Detail   string // appended to the explanation
	Bump     int    // severity steps above (or below) the indicator's
	Key      string // burst grouping key
	Distinct string // burst distinct-value
	Data     map[string]string
}

// Burst is a threshold: at least Min matches, or MinDistinct distinct
// Hit.Distinct values, within Window.
type Burst struct {
	Window      time.Duration
	Min         int
	MinDistinct int
	// DistinctColumn is the Athena column Hit.Distinct corresponds to.
	DistinctColumn string
}

type registryT struct {
	all     []*Indicator
	byEvent map[string][]*Indicator
	any     []*Indicator
}

var registry = buildRegistry(indicators)

func buildRegistry(inds []*Indicator) registryT {
	r := registryT{byEvent: map[string][]*Indicator{}}
	ids := map[string]bool{}
	for _, ind := range inds {
		if ids[ind.ID] {
			panic("cloudtrail: duplicate indicator " + ind.ID) // programming error at init
		}
		ids[ind.ID] = true
		r.all = append(r.all, ind)
		if len(ind.Events) == 0 {
			r.any = append(r.any, ind)
		}
		for _, e := range ind.Events {
			r.byEvent[e] = append(r.byEvent[e], ind)
		}
	}
	return r
}

// Indicators returns every registered indicator and sequence (for docs,
// SQL and tests). Sequences have no Match.
func Indicators() []*Indicator {
	out := slices.Clone(registry.all)
	for _, s := range sequences {
		out = append(out, s.Indicator)
	}
	return out
}

func iamWrite(r *Record) bool {
	return r.EventSource == "iam.amazonaws.com" && !r.IsReadOnly()
}

func callerUserName(r *Record) string {
	if r.UserIdentity.Type == "IAMUser" {
		return r.UserIdentity.UserName
	}
	return ""
}

// forOtherUser: the request names a user who is not the caller.
func forOtherUser(r *Record) (string, bool) {
	target := str(r.RequestParameters, "userName")
	if target == "" {
		return "", false
	}
	return target, target != callerUserName(r)
}

func isAdminPolicyARN(arn string) bool {
	return strings.HasSuffix(arn, ":policy/AdministratorAccess")
}

func isQuarantinePolicyARN(arn string) bool {
	return strings.Contains(arn, ":policy/AWSCompromisedKeyQuarantine")
}

func attachTarget(r *Record) string {
	for _, k := range []string{"userName", "groupName", "roleName"} {
		if v := str(r.RequestParameters, k); v != "" {
			return v
		}
	}
	return ""
}

// GPU, accelerator and very large families: what crypto-miners and LLM
// abusers launch and few accounts use day to day.
var unusualFamilies = []string{"p2", "p3", "p4", "p5", "p6", "g3", "g4", "g5", "g6", "gr6", "inf1", "inf2", "trn1", "trn2", "dl1", "dl2q", "vt1", "f1", "f2", "x1", "x2", "u-"}

func unusualInstanceType(t string) bool {
	fam, size, _ := strings.Cut(t, ".")
	for _, f := range unusualFamilies {
		if fam == f || strings.HasPrefix(fam, f) && len(fam) > len(f) && fam[len(f)] >= 'a' && fam[len(f)] <= 'z' {
			return true
		}
		if f == "u-" && strings.HasPrefix(fam, f) {
			return true
		}
	}
	return strings.HasPrefix(size, "metal") || strings.HasSuffix(size, "48xlarge") || strings.HasSuffix(size, "32xlarge") || strings.HasSuffix(size, "24xlarge")
}

func worldCIDR(c string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(c))
	return err == nil && p.Bits() == 0
}

// openedPorts reports whether a rule on protocol/from/to exposes SSH or RDP
// (or everything).
func exposesAdminPort(proto, from, to string) bool {
	if proto == "-1" || proto == "all" {
		return true
	}
	if proto != "tcp" && proto != "6" {
		return false
	}
	var f, t int
	if _, err := fmt.Sscan(from, &f); err != nil {
		return false
	}
	if _, err := fmt.Sscan(to, &t); err != nil {
		t = f
	}
	return (f <= 22 && 22 <= t) || (f <= 3389 && 3389 <= t)
}

var indicators = []*Indicator{
	{
		ID: "iam-user-created", Title: "IAM user created", Severity: finding.Medium, Tactic: Persistence,
		Explain: "A new IAM user was created; attackers create users to keep access after the original credentials are revoked.",
		Events:  []string{"CreateUser"},
		SQL:     "eventsource = 'iam.amazonaws.com' AND eventname = 'CreateUser'",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "iam.amazonaws.com" {
				return Hit{}, false
			}
			h := Hit{Target: str(r.RequestParameters, "userName")}
			if r.LambdaRole() || r.EC2Role() {
				h.Bump = 1
				h.Detail = "It was created by a Lambda function or EC2 instance role, which workloads almost never do."
			}
			return h, true
		},
	},
	{
		ID: "iam-access-key-created", Title: "Access key created", Severity: finding.Low, Tactic: Persistence, Anchor: true,
		Explain: "An access key was created.",
		Events:  []string{"CreateAccessKey"},
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "iam.amazonaws.com" || r.Failed() {
				return Hit{}, false
			}
			user := str(r.RequestParameters, "userName")
			if user == "" {
				user = str(r.ResponseElements, "accessKey", "userName")
			}
			return Hit{Target: user, Data: map[string]string{"keyID": str(r.ResponseElements, "accessKey", "accessKeyId")}}, true
		},
	},
	{
		ID: "iam-access-key-for-other-user", Title: "Access key created for another user", Severity: finding.High, Tactic: Persistence,
		Explain: "An access key was created for a different IAM user than the caller, a common backdoor.",
		Events:  []string{"CreateAccessKey"},
		SQL:     "eventsource = 'iam.amazonaws.com' AND eventname = 'CreateAccessKey' AND json_extract_scalar(requestparameters, '$.userName') IS NOT NULL AND json_extract_scalar(requestparameters, '$.userName') <> coalesce(useridentity.username, '')",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "iam.amazonaws.com" || r.IsRoot() {
				return Hit{}, false
			}
			target, other := forOtherUser(r)
			return Hit{Target: target, Detail: "Key created for user " + target + "."}, other
		},
	},
	{
		ID: "root-access-key-created", Title: "Root user created an access key", Severity: finding.Critical, Tactic: Persistence,
		Explain: "The root user created an access key for itself; root keys cannot be restricted and AWS advises never to have one.",
		Events:  []string{"CreateAccessKey"},
		SQL:     "eventname = 'CreateAccessKey' AND useridentity.type = 'Root'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: "root"}, r.IsRoot() && str(r.RequestParameters, "userName") == ""
		},
	},
	{
		ID: "iam-login-profile-for-other-user", Title: "Console password set for another user", Severity: finding.High, Tactic: Persistence,
		Explain: "A console password was created or changed for a different IAM user, giving the caller console access as that user.",
		Events:  []string{"CreateLoginProfile", "UpdateLoginProfile"},
		SQL:     "eventsource = 'iam.amazonaws.com' AND eventname IN ('CreateLoginProfile', 'UpdateLoginProfile') AND json_extract_scalar(requestparameters, '$.userName') <> coalesce(useridentity.username, '')",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "iam.amazonaws.com" {
				return Hit{}, false
			}
			target, other := forOtherUser(r)
			return Hit{Target: target, Detail: "Password set for user " + target + "."}, other
		},
	},
	{
		ID: "iam-admin-policy-attached", Title: "Administrator access granted", Severity: finding.High, Tactic: PrivilegeEscalation,
		Explain: "AdministratorAccess, or an inline policy allowing every action on every resource, was given to a user, group or role.",
		Events:  []string{"AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy", "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy"},
		SQL:     "eventsource = 'iam.amazonaws.com' AND ((eventname IN ('AttachUserPolicy', 'AttachGroupPolicy', 'AttachRolePolicy') AND json_extract_scalar(requestparameters, '$.policyArn') LIKE '%:policy/AdministratorAccess') OR (eventname IN ('PutUserPolicy', 'PutGroupPolicy', 'PutRolePolicy') AND regexp_like(json_extract_scalar(requestparameters, '$.policyDocument'), '\"Action\"\\s*:\\s*\\[?\\s*\"\\*(:\\*)?\"')))",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "iam.amazonaws.com" {
				return Hit{}, false
			}
			target := attachTarget(r)
			if strings.HasPrefix(r.EventName, "Attach") {
				arn := str(r.RequestParameters, "policyArn")
				return Hit{Target: target, Detail: "Policy " + arn + " attached to " + target + "."}, isAdminPolicyARN(arn)
			}
			doc, ok := iampolicy.ParseRaw(path(r.RequestParameters, "policyDocument"))
			return Hit{Target: target, Detail: "Inline policy allowing *:* put on " + target + "."}, ok && doc.GrantsAll()
		},
	},
	{
		ID: "iam-quarantine-policy-attached", Title: "AWS quarantined a leaked access key", Severity: finding.High, Tactic: CredentialAccess,
		Explain: "AWS attached its compromised-key quarantine policy to a user, which it does when it finds the user's key exposed publicly.",
		Events:  []string{"AttachUserPolicy"},
		SQL:     "eventname = 'AttachUserPolicy' AND json_extract_scalar(requestparameters, '$.policyArn') LIKE '%:policy/AWSCompromisedKeyQuarantine%'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: str(r.RequestParameters, "userName")}, isQuarantinePolicyARN(str(r.RequestParameters, "policyArn"))
		},
	},
	{
		ID: "iam-mfa-removed", Title: "MFA device deactivated or deleted", Severity: finding.High, Tactic: DefenseEvasion,
		Explain: "An MFA device was deactivated or deleted, weakening the account's sign-in protection.",
		Events:  []string{"DeactivateMFADevice", "DeleteVirtualMFADevice"},
		SQL:     "eventname IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice')",
		Match: func(r *Record) (Hit, bool) {
			t := str(r.RequestParameters, "userName")
			if t == "" {
				t = str(r.RequestParameters, "serialNumber")
			}
			return Hit{Target: t}, true
		},
	},
	{
		ID: "iam-mfa-enrolled-temporary-credentials", Title: "MFA device enrolled with temporary credentials", Severity: finding.Medium, Tactic: Persistence,
		Explain: "An MFA device was enrolled by a caller using temporary credentials; an attacker enrolling their own device locks the owner out.",
		Events:  []string{"EnableMFADevice", "CreateVirtualMFADevice"},
		SQL:     "eventname IN ('EnableMFADevice', 'CreateVirtualMFADevice') AND useridentity.accesskeyid LIKE 'ASIA%'",
		Match: func(r *Record) (Hit, bool) {
			t := str(r.RequestParameters, "userName")
			if t == "" {
				t = str(r.RequestParameters, "virtualMFADeviceName")
			}
			return Hit{Target: t}, r.TemporaryCredentials()
		},
	},
	{
		ID: "root-console-login", Title: "Root user signed in to the console", Severity: finding.High, Tactic: InitialAccess,
		Explain: "The root user signed in to the console; day-to-day work should never use root.",
		Events:  []string{"ConsoleLogin"},
		SQL:     "eventname = 'ConsoleLogin' AND useridentity.type = 'Root' AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'",
		Match: func(r *Record) (Hit, bool) {
			if !r.IsRoot() || str(r.ResponseElements, "ConsoleLogin") != "Success" {
				return Hit{}, false
			}
			h := Hit{Target: "root"}
			if str(r.AdditionalEventData, "MFAUsed") != "Yes" {
				h.Bump = 1
				h.Detail = "No MFA was used."
			}
			return h, true
		},
	},
	{
		ID: "root-failed-logins", Title: "Repeated failed root sign-ins", Severity: finding.High, Tactic: CredentialAccess, CountsFailures: true,
		Explain: "The root user's password was tried and failed repeatedly, as in password guessing.",
		Events:  []string{"ConsoleLogin"},
		Burst:   &Burst{Window: time.Hour, Min: 3},
		SQL:     "eventname = 'ConsoleLogin' AND useridentity.type = 'Root' AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Key: "root", Target: "root"}, r.IsRoot() && str(r.ResponseElements, "ConsoleLogin") == "Failure"
		},
	},
	{
		ID: "root-password-recovery", Title: "Root password recovered or changed", Severity: finding.High, Tactic: CredentialAccess,
		Explain: "The root user's password was recovered or changed; if the owner did not do it, the account is taken over.",
		Events:  []string{"PasswordRecoveryRequested", "PasswordRecoveryCompleted", "PasswordUpdated", "ChangePassword"},
		SQL:     "eventname IN ('PasswordRecoveryRequested', 'PasswordRecoveryCompleted', 'PasswordUpdated', 'ChangePassword') AND useridentity.type = 'Root'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: "root"}, r.IsRoot()
		},
	},
	{
		ID: "root-write-action", Title: "Root user changed something", Severity: finding.High, Tactic: PrivilegeEscalation,
		Explain: "The root user made a change through the API or console; AWS advises using root only for the few tasks that require it.",
		SQL:     "useridentity.type = 'Root' AND readonly = 'false' AND eventname NOT IN ('ConsoleLogin', 'CheckMfa', 'PasswordRecoveryRequested', 'PasswordRecoveryCompleted')",
		Match: func(r *Record) (Hit, bool) {
			if !r.IsRoot() || r.IsReadOnly() || r.UserIdentity.InvokedBy != "" {
				return Hit{}, false
			}
			switch r.EventName {
			case "ConsoleLogin", "CheckMfa", "PasswordRecoveryRequested", "PasswordRecoveryCompleted", "CredentialVerification", "CredentialChallenge", "UserAuthentication":
				return Hit{}, false
			}
			return Hit{Target: "root", Detail: "Action: " + r.EventName + "."}, true
		},
	},
	{
		ID: "iam-console-login-without-mfa", Title: "IAM user signed in without MFA", Severity: finding.Medium, Tactic: InitialAccess,
		Explain: "An IAM user signed in to the console with only a password.",
		Events:  []string{"ConsoleLogin"},
		SQL:     "eventname = 'ConsoleLogin' AND useridentity.type = 'IAMUser' AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success' AND json_extract_scalar(additionaleventdata, '$.MFAUsed') = 'No'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: r.UserIdentity.UserName}, r.UserIdentity.Type == "IAMUser" &&
				str(r.ResponseElements, "ConsoleLogin") == "Success" && str(r.AdditionalEventData, "MFAUsed") == "No"
		},
	},
	{
		ID: "cloudtrail-tampered", Title: "CloudTrail logging stopped or reduced", Severity: finding.High, Tactic: DefenseEvasion,
		Explain: "A trail was stopped, deleted, changed, or set to stop recording management events, hiding what happens next.",
		Events:  []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"},
		SQL:     "eventsource = 'cloudtrail.amazonaws.com' AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors')",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "cloudtrail.amazonaws.com" {
				return Hit{}, false
			}
			trail := str(r.RequestParameters, "name")
			if trail == "" {
				trail = str(r.RequestParameters, "trailName")
			}
			h := Hit{Target: trail}
			switch r.EventName {
			case "StopLogging", "DeleteTrail":
				h.Bump = 1
				return h, true
			case "UpdateTrail":
				h.Bump = -1
				return h, true
			}
			return h, !selectsManagementEvents(r.RequestParameters)
		},
	},
	{
		ID: "security-logging-disabled", Title: "Security monitoring disabled", Severity: finding.High, Tactic: DefenseEvasion,
		Explain: "GuardDuty, VPC flow logs, AWS Config, Security Hub or DNS query logging was turned off or deleted.",
		Events: []string{"DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount", "DisassociateFromAdministratorAccount", "DeleteFlowLogs",
			"StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel", "DeleteResolverQueryLogConfig",
			"DisassociateResolverQueryLogConfig", "DeleteQueryLoggingConfig", "DisableSecurityHub"},
		SQL: "eventname IN ('DeleteDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DeleteFlowLogs', 'StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel', 'DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig', 'DeleteQueryLoggingConfig', 'DisableSecurityHub') OR (eventname = 'UpdateDetector' AND json_extract_scalar(requestparameters, '$.enable') = 'false')",
		Match: func(r *Record) (Hit, bool) {
			h := Hit{Target: strings.TrimSuffix(r.EventSource, ".amazonaws.com")}
			if r.EventName == "UpdateDetector" {
				return h, str(r.RequestParameters, "enable") == "false"
			}
			if r.EventName == "DeleteFlowLogs" {
				h.Target = "flow logs"
			}
			return h, true
		},
	},
	{
		ID: "organizations-leave", Title: "Account tried to leave its organization", Severity: finding.High, Tactic: DefenseEvasion,
		Explain: "Leaving the organization removes the account from its organization's guardrails and central logging.",
		Events:  []string{"LeaveOrganization"},
		SQL:     "eventname = 'LeaveOrganization'",
		Match:   func(r *Record) (Hit, bool) { return Hit{Target: r.RecipientAccountID}, true },
	},
	{
		ID: "iam-write-by-lambda-role", Title: "Lambda function changed IAM", Severity: finding.High, Tactic: PrivilegeEscalation,
		Explain: "A Lambda function's execution role made IAM changes; functions rarely need to, backdoors do.",
		SQL:     "eventsource = 'iam.amazonaws.com' AND readonly = 'false' AND useridentity.type = 'AssumedRole' AND useragent LIKE '%AWS_Lambda%'",
		Match: func(r *Record) (Hit, bool) {
			if !iamWrite(r) || !r.LambdaRole() {
				return Hit{}, false
			}
			return Hit{Target: r.RoleName(), Detail: "Function role " + r.RoleName() + " called " + r.EventName + ".", Data: map[string]string{"role": r.RoleName()}}, true
		},
	},
	{
		ID: "lambda-public", Title: "Lambda function made public", Severity: finding.High, Tactic: Persistence,
		Explain: "A Lambda function can now be invoked by anyone: a resource policy allows principal * or a function URL has no authentication.",
		Events:  []string{"AddPermission", "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"},
		SQL:     "eventsource = 'lambda.amazonaws.com' AND ((eventname LIKE 'AddPermission%' AND json_extract_scalar(requestparameters, '$.principal') = '*') OR (regexp_like(eventname, '^(Create|Update)FunctionUrlConfig') AND json_extract_scalar(requestparameters, '$.authType') = 'NONE'))",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "lambda.amazonaws.com" {
				return Hit{}, false
			}
			fn := str(r.RequestParameters, "functionName")
			if baseEventName(r.EventName) == "AddPermission" {
				return Hit{Target: fn, Detail: "Invoke permission granted to *."}, str(r.RequestParameters, "principal") == "*"
			}
			return Hit{Target: fn, Detail: "Function URL with auth type NONE."}, str(r.RequestParameters, "authType") == "NONE"
		},
	},
	{
		ID: "lambda-function-created", Title: "Lambda function created", Severity: finding.Low, Tactic: Persistence, Anchor: true,
		Explain: "A Lambda function was created.",
		Events:  []string{"CreateFunction"},
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "lambda.amazonaws.com" || r.Failed() {
				return Hit{}, false
			}
			fn := str(r.RequestParameters, "functionName")
			role := str(r.RequestParameters, "role")
			return Hit{Target: lastPart(fn), Data: map[string]string{"role": lastPart(role)}}, true
		},
	},
	{
		ID: "lambda-apigateway-permission", Title: "API Gateway allowed to invoke a Lambda function", Severity: finding.Low, Tactic: Persistence, Anchor: true,
		Explain: "API Gateway was allowed to invoke a Lambda function.",
		Events:  []string{"AddPermission"},
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: lastPart(str(r.RequestParameters, "functionName"))},
				r.EventSource == "lambda.amazonaws.com" && !r.Failed() && str(r.RequestParameters, "principal") == "apigateway.amazonaws.com"
		},
	},
	{
		ID: "apigateway-api-created", Title: "API Gateway API created", Severity: finding.Low, Tactic: Persistence, Anchor: true,
		Explain: "An API Gateway API was created.",
		Events:  []string{"CreateRestApi", "CreateApi"},
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: str(r.RequestParameters, "name")}, strings.HasPrefix(r.EventSource, "apigateway.") && !r.Failed()
		},
	},
	{
		ID: "lambda-code-replaced", Title: "Lambda function code replaced", Severity: finding.Medium, Tactic: Persistence,
		Explain: "A Lambda function's code was replaced; attackers overwrite functions to run their own code with the function's role.",
		Events:  []string{"UpdateFunctionCode"},
		SQL:     "eventsource = 'lambda.amazonaws.com' AND eventname LIKE 'UpdateFunctionCode%'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: lastPart(str(r.RequestParameters, "functionName"))}, r.EventSource == "lambda.amazonaws.com"
		},
	},
	{
		ID: "lambda-layer-added", Title: "Lambda layer or extension added", Severity: finding.Medium, Tactic: Persistence,
		Explain: "A layer was added to a Lambda function; a malicious layer or extension runs inside every invocation.",
		Events:  []string{"UpdateFunctionConfiguration"},
		SQL:     "eventsource = 'lambda.amazonaws.com' AND eventname LIKE 'UpdateFunctionConfiguration%' AND json_array_length(json_extract(requestparameters, '$.layers')) > 0",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: lastPart(str(r.RequestParameters, "functionName"))},
				r.EventSource == "lambda.amazonaws.com" && len(strs(r.RequestParameters, "layers")) > 0
		},
	},
	{
		ID: "ec2-unusual-instance", Title: "GPU or unusual instance launched", Severity: finding.High, Tactic: Impact,
		Explain: "Instances of a GPU, accelerator or very large type were launched, as crypto-mining and LLM abuse do.",
		Events:  []string{"RunInstances"},
		SQL:     "eventname = 'RunInstances' AND regexp_like(json_extract_scalar(requestparameters, '$.instanceType'), '^(p[2-6]|g[3-6]|gr6|inf[12]|trn[12]|dl1|dl2q|vt1|f[12]|x[12]|u-)[a-z]*\\.|\\.(metal|24xlarge|32xlarge|48xlarge)')",
		Match: func(r *Record) (Hit, bool) {
			t := str(r.RequestParameters, "instanceType")
			count := ""
			if it := items(path(r.RequestParameters, "instancesSet")); len(it) > 0 {
				count = str(it[0], "maxCount")
			}
			d := "Type " + t + "."
			if count != "" {
				d = fmt.Sprintf("Type %s, up to %s instances.", t, count)
			}
			return Hit{Target: t, Detail: d}, unusualInstanceType(t)
		},
	},
	{
		ID: "ec2-run-instances", Title: "Instances launched", Severity: finding.Low, Tactic: Impact, Anchor: true,
		Explain: "Instances were launched.",
		Events:  []string{"RunInstances"},
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: r.AWSRegion, Data: map[string]string{"type": str(r.RequestParameters, "instanceType")}}, r.EventSource == "ec2.amazonaws.com"
		},
	},
	{
		ID: "ec2-vcpu-quota-recon", Title: "EC2 vCPU quotas checked across regions", Severity: finding.Medium, Tactic: Discovery,
		Explain: "The same caller checked EC2 instance quotas in several regions, which is how mining operators size a launch.",
		Events:  []string{"GetServiceQuota", "ListServiceQuotas", "GetRequestedServiceQuotaChange", "ListAWSDefaultServiceQuotas", "GetAWSDefaultServiceQuota"},
		Burst:   &Burst{Window: time.Hour, MinDistinct: 3, DistinctColumn: "awsregion"},
		SQL:     "eventsource = 'servicequotas.amazonaws.com' AND json_extract_scalar(requestparameters, '$.serviceCode') = 'ec2'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Key: r.Actor(), Distinct: r.AWSRegion, Target: "ec2 quotas"}, str(r.RequestParameters, "serviceCode") == "ec2"
		},
	},
	{
		ID: "ses-recon", Title: "SES sending limits probed", Severity: finding.Medium, Tactic: Discovery,
		Explain: "A caller checked whether and how much the account can send through SES, the first step of spam campaigns with stolen keys.",
		Events: []string{"GetSendQuota", "GetAccountSendingEnabled", "ListIdentities", "GetAccount", "ListEmailIdentities",
			"GetIdentityVerificationAttributes", "ListVerifiedEmailAddresses", "GetSendStatistics"},
		Burst: &Burst{Window: time.Hour, MinDistinct: 2, DistinctColumn: "eventname"},
		SQL:   "eventsource = 'ses.amazonaws.com' AND eventname IN ('GetSendQuota', 'GetAccountSendingEnabled', 'ListIdentities', 'GetAccount', 'ListEmailIdentities', 'GetIdentityVerificationAttributes', 'ListVerifiedEmailAddresses', 'GetSendStatistics')",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Key: r.Actor(), Distinct: r.EventName, Target: "ses"}, r.EventSource == "ses.amazonaws.com"
		},
	},
	{
		ID: "ses-spam-setup", Title: "SES set up for sending", Severity: finding.High, Tactic: ResourceDevelopment,
		Explain: "Sender identities were verified, sending was enabled, or a sending policy was set; with stolen keys this precedes spam.",
		Events: []string{"VerifyEmailIdentity", "VerifyDomainIdentity", "VerifyEmailAddress", "VerifyDomainDkim", "CreateEmailIdentity",
			"UpdateAccountSendingEnabled", "PutIdentityPolicy", "CreateEmailIdentityPolicy", "PutAccountSendingAttributes", "PutAccountDetails"},
		SQL: "eventsource = 'ses.amazonaws.com' AND eventname IN ('VerifyEmailIdentity', 'VerifyDomainIdentity', 'VerifyEmailAddress', 'VerifyDomainDkim', 'CreateEmailIdentity', 'UpdateAccountSendingEnabled', 'PutIdentityPolicy', 'CreateEmailIdentityPolicy', 'PutAccountSendingAttributes', 'PutAccountDetails')",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "ses.amazonaws.com" {
				return Hit{}, false
			}
			t := str(r.RequestParameters, "emailAddress")
			for _, k := range []string{"domain", "emailIdentity", "identity"} {
				if t == "" {
					t = str(r.RequestParameters, k)
				}
			}
			if r.EventName == "UpdateAccountSendingEnabled" && str(r.RequestParameters, "enabled") == "false" {
				return Hit{}, false
			}
			return Hit{Target: t}, true
		},
	},
	{
		ID: "secrets-read-burst", Title: "Many secrets read", Severity: finding.High, Tactic: CredentialAccess,
		Explain: "One caller read many secrets or decrypted parameters in a short time, as credential harvesting does.",
		Events:  []string{"GetSecretValue", "BatchGetSecretValue", "GetParameter", "GetParameters", "GetParametersByPath"},
		Burst:   &Burst{Window: 10 * time.Minute, Min: 5},
		SQL:     "eventname IN ('GetSecretValue', 'BatchGetSecretValue') OR (eventsource = 'ssm.amazonaws.com' AND eventname IN ('GetParameter', 'GetParameters', 'GetParametersByPath') AND json_extract_scalar(requestparameters, '$.withDecryption') = 'true')",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource == "ssm.amazonaws.com" && str(r.RequestParameters, "withDecryption") != "true" {
				return Hit{}, false
			}
			return Hit{Key: r.Actor(), Target: str(r.RequestParameters, "secretId")}, true
		},
	},
	{
		ID: "s3-bucket-policy-exposed", Title: "Bucket policy opened to the world or another account", Severity: finding.High, Tactic: Exfiltration,
		Explain: "A bucket policy now lets anyone, or another AWS account, access the bucket.",
		Events:  []string{"PutBucketPolicy"},
		SQL:     "eventname = 'PutBucketPolicy' AND (json_extract_scalar(requestparameters, '$.bucketPolicy.Statement[0].Principal') = '*' OR regexp_like(json_format(json_extract(requestparameters, '$.bucketPolicy')), '\"AWS\":\\s*\"\\*\"|arn:aws:iam::[0-9]{12}'))",
		Match: func(r *Record) (Hit, bool) {
			doc, ok := iampolicy.ParseRaw(path(r.RequestParameters, "bucketPolicy"))
			if !ok {
				return Hit{}, false
			}
			ext := doc.ExternalPrincipals(r.RecipientAccountID)
			h := Hit{Target: str(r.RequestParameters, "bucketName"), Detail: "Principals: " + strings.Join(ext, ", ") + "."}
			if slices.Contains(ext, "*") {
				h.Bump = 1
			}
			return h, len(ext) > 0
		},
	},
	{
		ID: "ec2-snapshot-shared", Title: "EBS snapshot shared", Severity: finding.High, Tactic: Exfiltration,
		Explain: "An EBS snapshot was shared with another account or made public, which copies the disk out of the account.",
		Events:  []string{"ModifySnapshotAttribute"},
		SQL:     "eventname = 'ModifySnapshotAttribute' AND json_extract(requestparameters, '$.createVolumePermission.add') IS NOT NULL",
		Match: func(r *Record) (Hit, bool) {
			return sharedWith(r, "createVolumePermission", str(r.RequestParameters, "snapshotId"))
		},
	},
	{
		ID: "ec2-ami-shared", Title: "AMI shared", Severity: finding.High, Tactic: Exfiltration,
		Explain: "A machine image was shared with another account or made public.",
		Events:  []string{"ModifyImageAttribute"},
		SQL:     "eventname = 'ModifyImageAttribute' AND json_extract(requestparameters, '$.launchPermission.add') IS NOT NULL",
		Match: func(r *Record) (Hit, bool) {
			return sharedWith(r, "launchPermission", str(r.RequestParameters, "imageId"))
		},
	},
	{
		ID: "rds-snapshot-shared", Title: "RDS snapshot shared", Severity: finding.High, Tactic: Exfiltration,
		Explain: "A database snapshot was shared with another account or made public.",
		Events:  []string{"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"},
		SQL:     "eventname IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute') AND json_extract_scalar(requestparameters, '$.attributeName') = 'restore' AND json_array_length(json_extract(requestparameters, '$.valuesToAdd')) > 0",
		Match: func(r *Record) (Hit, bool) {
			add := strs(r.RequestParameters, "valuesToAdd")
			id := str(r.RequestParameters, "dBSnapshotIdentifier")
			if id == "" {
				id = str(r.RequestParameters, "dBClusterSnapshotIdentifier")
			}
			h := Hit{Target: id, Detail: "Shared with " + strings.Join(add, ", ") + "."}
			if slices.Contains(add, "all") {
				h.Bump = 1
			}
			return h, str(r.RequestParameters, "attributeName") == "restore" && len(add) > 0
		},
	},
	{
		ID: "ec2-admin-port-open-to-world", Title: "SSH or RDP opened to the internet", Severity: finding.High, Tactic: InitialAccess,
		Explain: "A security group rule now allows SSH (22) or RDP (3389) from any address.",
		Events:  []string{"AuthorizeSecurityGroupIngress"},
		SQL:     "eventname = 'AuthorizeSecurityGroupIngress' AND (json_format(requestparameters) LIKE '%/0\"%') AND (json_format(requestparameters) LIKE '%\"fromPort\":22%' OR json_format(requestparameters) LIKE '%\"fromPort\":3389%' OR json_format(requestparameters) LIKE '%\"ipProtocol\":\"-1\"%')",
		Match:   matchOpenIngress,
	},
	{
		ID: "iam-trust-policy-external", Title: "Role trusts an outside account", Severity: finding.High, Tactic: Persistence,
		Explain: "A role's trust policy now lets another AWS account (or anyone) assume it, a classic cross-account backdoor.",
		Events:  []string{"UpdateAssumeRolePolicy", "CreateRole"},
		SQL:     "eventsource = 'iam.amazonaws.com' AND eventname IN ('UpdateAssumeRolePolicy', 'CreateRole') AND regexp_like(coalesce(json_extract_scalar(requestparameters, '$.policyDocument'), json_extract_scalar(requestparameters, '$.assumeRolePolicyDocument')), 'arn:aws:iam::[0-9]{12}:|\"AWS\"\\s*:\\s*\"\\*\"')",
		Match: func(r *Record) (Hit, bool) {
			if r.EventSource != "iam.amazonaws.com" {
				return Hit{}, false
			}
			raw := path(r.RequestParameters, "policyDocument")
			if r.EventName == "CreateRole" {
				raw = path(r.RequestParameters, "assumeRolePolicyDocument")
			}
			doc, ok := iampolicy.ParseRaw(raw)
			if !ok {
				return Hit{}, false
			}
			account := r.RecipientAccountID
			if account == "" {
				account = r.UserIdentity.AccountID
			}
			ext := doc.ExternalPrincipals(account)
			h := Hit{Target: str(r.RequestParameters, "roleName"), Detail: "Trusted: " + strings.Join(ext, ", ") + "."}
			if slices.Contains(ext, "*") {
				h.Bump = 1
			}
			return h, len(ext) > 0
		},
	},
	{
		ID: "sts-federation-token", Title: "Federation token requested", Severity: finding.Medium, Tactic: Persistence,
		Explain: "GetFederationToken turns a user's key into session credentials that survive deleting the key, a known persistence trick.",
		Events:  []string{"GetFederationToken"},
		SQL:     "eventname = 'GetFederationToken'",
		Match: func(r *Record) (Hit, bool) {
			h := Hit{Target: str(r.RequestParameters, "name")}
			if doc, ok := iampolicy.ParseRaw(path(r.RequestParameters, "policy")); ok && doc.GrantsAll() {
				h.Bump = 1
				h.Detail = "The session policy allows every action."
			}
			return h, r.EventSource == "sts.amazonaws.com"
		},
	},
	{
		ID: "access-denied-burst", Title: "Burst of AccessDenied errors", Severity: finding.Medium, Tactic: Discovery, CountsFailures: true,
		Explain: "One caller hit many AccessDenied errors across different APIs in a short time, as someone testing a stolen key does.",
		Burst:   &Burst{Window: 10 * time.Minute, Min: 10, MinDistinct: 3, DistinctColumn: "eventname"},
		SQL:     "errorcode IN ('AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation')",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Key: r.Actor(), Distinct: r.EventName}, r.AccessDenied()
		},
	},
	{
		ID: "ec2-password-data-read", Title: "Windows password data requested", Severity: finding.Medium, Tactic: CredentialAccess,
		Explain: "GetPasswordData returns an instance's encrypted Windows administrator password.",
		Events:  []string{"GetPasswordData"},
		SQL:     "eventname = 'GetPasswordData'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: r.Actor()}, r.EventSource == "ec2.amazonaws.com"
		},
	},
	{
		ID: "ec2-user-data-read", Title: "Instance user data read in bulk", Severity: finding.Medium, Tactic: Discovery,
		Explain: "One caller read the user data of many instances, where secrets often sit in start-up scripts.",
		Events:  []string{"DescribeInstanceAttribute"},
		Burst:   &Burst{Window: 10 * time.Minute, Min: 5},
		SQL:     "eventname = 'DescribeInstanceAttribute' AND json_extract_scalar(requestparameters, '$.attribute') = 'userData'",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Key: r.Actor(), Target: str(r.RequestParameters, "instanceId")}, str(r.RequestParameters, "attribute") == "userData"
		},
	},
	{
		ID: "ec2-user-data-modified", Title: "Instance user data changed", Severity: finding.Medium, Tactic: Execution,
		Explain: "An instance's user data was replaced; it runs as root on the next start.",
		Events:  []string{"ModifyInstanceAttribute"},
		SQL:     "eventname = 'ModifyInstanceAttribute' AND json_extract(requestparameters, '$.userData') IS NOT NULL",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: str(r.RequestParameters, "instanceId")}, path(r.RequestParameters, "userData") != nil
		},
	},
	{
		ID: "ssm-command-or-session", Title: "Command or shell run on an instance through SSM", Severity: finding.Low, Tactic: Execution,
		Explain: "Systems Manager ran a command or opened a shell on instances; with stolen credentials this is remote code execution.",
		Events:  []string{"SendCommand", "StartSession"},
		SQL:     "eventsource = 'ssm.amazonaws.com' AND eventname IN ('SendCommand', 'StartSession')",
		Match: func(r *Record) (Hit, bool) {
			t := str(r.RequestParameters, "target")
			if ids := strs(r.RequestParameters, "instanceIds"); len(ids) > 0 {
				t = strings.Join(ids, ",")
			}
			return Hit{Target: t}, r.EventSource == "ssm.amazonaws.com"
		},
	},
	{
		ID: "ec2-ssh-key-pushed", Title: "SSH key pushed to an instance", Severity: finding.Medium, Tactic: LateralMovement,
		Explain: "A temporary SSH key was pushed to an instance (EC2 Instance Connect or serial console), giving shell access without the instance's own keys.",
		Events:  []string{"SendSSHPublicKey", "SendSerialConsoleSSHPublicKey", "EnableSerialConsoleAccess"},
		SQL:     "eventname IN ('SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey', 'EnableSerialConsoleAccess')",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: str(r.RequestParameters, "instanceId")}, true
		},
	},
	{
		ID: "rolesanywhere-trust-anchor", Title: "IAM Roles Anywhere trust anchor created", Severity: finding.High, Tactic: Persistence,
		Explain: "A certificate authority was trusted to hand out role credentials to machines outside AWS.",
		Events:  []string{"CreateTrustAnchor", "UpdateTrustAnchor"},
		SQL:     "eventsource = 'rolesanywhere.amazonaws.com' AND eventname IN ('CreateTrustAnchor', 'UpdateTrustAnchor')",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: str(r.RequestParameters, "name")}, r.EventSource == "rolesanywhere.amazonaws.com"
		},
	},
	{
		ID: "bedrock-model-access-enabled", Title: "Bedrock model access enabled", Severity: finding.Medium, Tactic: Impact,
		Explain: "Access to a foundation model was requested or accepted; stolen keys are sold for LLM use billed to the victim.",
		Events:  []string{"PutFoundationModelEntitlement", "CreateFoundationModelAgreement", "PutUseCaseForModelAccess"},
		SQL:     "eventsource = 'bedrock.amazonaws.com' AND eventname IN ('PutFoundationModelEntitlement', 'CreateFoundationModelAgreement', 'PutUseCaseForModelAccess')",
		Match: func(r *Record) (Hit, bool) {
			return Hit{Target: str(r.RequestParameters, "modelId")}, r.EventSource == "bedrock.amazonaws.com"
		},
	},
}

func lastPart(s string) string {
	if i := strings.LastIndexAny(s, ":/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func selectsManagementEvents(req []byte) bool {
	sels := items(path(req, "eventSelectors"))
	adv := items(path(req, "advancedEventSelectors"))
	if len(sels) == 0 && len(adv) == 0 {
		return true // nothing to judge
	}
	for _, s := range sels {
		if str(s, "includeManagementEvents") != "false" {
			return true
		}
	}
	for _, a := range adv {
		for _, fs := range items(path(a, "fieldSelectors")) {
			if str(fs, "field") == "eventCategory" && slices.Contains(strs(fs, "equals"), "Management") {
				return true
			}
		}
	}
	return false
}

func sharedWith(r *Record, attr, id string) (Hit, bool) {
	var who []string
	for _, it := range items(path(r.RequestParameters, attr, "add")) {
		if u := str(it, "userId"); u != "" {
			who = append(who, u)
		}
		if g := str(it, "group"); g != "" {
			who = append(who, g)
		}
	}
	h := Hit{Target: id, Detail: "Shared with " + strings.Join(who, ", ") + "."}
	if slices.Contains(who, "all") {
		h.Bump = 1
		h.Detail = "Made public."
	}
	return h, len(who) > 0
}

func matchOpenIngress(r *Record) (Hit, bool) {
	req := r.RequestParameters
	h := Hit{Target: str(req, "groupId")}
	if h.Target == "" {
		h.Target = str(req, "groupName")
	}
	if worldCIDR(str(req, "cidrIp")) && exposesAdminPort(str(req, "ipProtocol"), str(req, "fromPort"), str(req, "toPort")) {
		return h, true
	}
	for _, p := range items(path(req, "ipPermissions")) {
		proto, from, to := str(p, "ipProtocol"), str(p, "fromPort"), str(p, "toPort")
		if !exposesAdminPort(proto, from, to) {
			continue
		}
		for _, rg := range items(path(p, "ipRanges")) {
			if worldCIDR(str(rg, "cidrIp")) {
				return h, true
			}
		}
		for _, rg := range items(path(p, "ipv6Ranges")) {
			if worldCIDR(str(rg, "cidrIpv6")) {
				return h, true
			}
		}
	}
	return h, false
}
