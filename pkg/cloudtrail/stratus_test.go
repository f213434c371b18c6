package cloudtrail

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// stratusExpect maps each Stratus Red Team technique to the indicators its
// name implies. Every detonation file must raise all of them.
var stratusExpect = map[string][]string{
	"aws.credential-access.ec2-get-password-data":                 {"ec2-password-data-read"},
	"aws.credential-access.ec2-steal-instance-credentials":        {"recon-first-call-get-caller-identity"},
	"aws.credential-access.secretsmanager-batch-retrieve-secrets": {"secrets-read-burst"},
	"aws.credential-access.secretsmanager-retrieve-secrets":       {"secrets-read-burst"},
	"aws.credential-access.ssm-retrieve-securestring-parameters":  {"secrets-read-burst"},
	"aws.defense-evasion.cloudtrail-delete":                       {"cloudtrail-tampered"},
	"aws.defense-evasion.cloudtrail-event-selectors":              {"cloudtrail-tampered"},
	"aws.defense-evasion.cloudtrail-stop":                         {"cloudtrail-tampered"},
	"aws.defense-evasion.dns-delete-logs":                         {"security-logging-disabled"},
	"aws.defense-evasion.organizations-leave":                     {"organizations-leave"},
	"aws.defense-evasion.vpc-remove-flow-logs":                    {"security-logging-disabled"},
	"aws.discovery.ec2-download-user-data":                        {"ec2-user-data-read"},
	"aws.execution.ec2-launch-unusual-instances":                  {"ec2-unusual-instance"},
	"aws.execution.ec2-user-data":                                 {"ec2-user-data-modified"},
	"aws.execution.ssm-send-command":                              {"ssm-command-or-session"},
	"aws.execution.ssm-start-session":                             {"ssm-command-or-session"},
	"aws.exfiltration.ec2-security-group-open-port-22-ingress":    {"ec2-admin-port-open-to-world"},
	"aws.exfiltration.ec2-share-ami":                              {"ec2-ami-shared"},
	"aws.exfiltration.ec2-share-ebs-snapshot":                     {"ec2-snapshot-shared"},
	"aws.exfiltration.rds-share-snapshot":                         {"rds-snapshot-shared"},
	"aws.impact.bedrock-invoke-model":                             {"bedrock-model-access-enabled"},
	"aws.initial-access.console-login-without-mfa":                {"iam-console-login-without-mfa"},
	"aws.lateral-movement.ec2-instance-connect":                   {"ec2-ssh-key-pushed"},
	"aws.lateral-movement.ec2-serial-console-send-ssh-public-key": {"ec2-ssh-key-pushed"},
	"aws.persistence.iam-backdoor-role":                           {"iam-trust-policy-external"},
	"aws.persistence.iam-backdoor-user":                           {"iam-access-key-for-other-user"},
	"aws.persistence.iam-create-admin-user":                       {"iam-user-created", "iam-admin-policy-attached", "seq-create-user-then-admin"},
	"aws.persistence.iam-create-backdoor-role":                    {"iam-trust-policy-external", "iam-admin-policy-attached"},
	"aws.persistence.iam-create-user-login-profile":               {"iam-login-profile-for-other-user"},
	"aws.persistence.lambda-backdoor-function":                    {"lambda-public"},
	"aws.persistence.lambda-layer-extension":                      {"lambda-layer-added"},
	"aws.persistence.lambda-overwrite-code":                       {"lambda-code-replaced"},
	"aws.persistence.rolesanywhere-create-trust-anchor":           {"rolesanywhere-trust-anchor"},
	"aws.persistence.sts-federation-token":                        {"sts-federation-token"},
	"aws.privilege-escalation.iam-update-user-login-profile":      {"iam-login-profile-for-other-user"},
}

func readFileRecords(t *testing.T, path string) ([]Record, Stats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	st, err := ReadRecords(f, func(r *Record) error {
		recs = append(recs, *r)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadRecords(%s): %v", path, err)
	}
	return recs, st
}

func findingIDs(a Analysis) []string {
	var ids []string
	for _, f := range a.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestStratusRedTeam(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../testdata/cloudtrail/stratus-red-team/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(stratusExpect) {
		t.Fatalf("found %d detonation files, mapping has %d: keep them in step", len(files), len(stratusExpect))
	}
	for _, file := range files {
		technique := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(technique, func(t *testing.T) {
			t.Parallel()
			want, ok := stratusExpect[technique]
			if !ok {
				t.Fatalf("no expected indicators for %s", technique)
			}
			recs, st := readFileRecords(t, file)
			if st.Records == 0 || len(st.Skipped) != 0 {
				t.Fatalf("stats %+v: want records and nothing skipped", st)
			}
			a := Analyze(recs)
			got := findingIDs(a)
			for _, id := range want {
				if !slices.Contains(got, id) {
					t.Errorf("missing %s; got %v", id, got)
				}
			}
			for _, f := range a.Findings {
				if f.Source != Source || f.Tactic == "" || f.Title == "" || f.Reason == "" {
					t.Errorf("incomplete finding %+v", f)
				}
				for _, k := range []string{"eventName", "eventTime", "actor", "sourceIP", "userAgent"} {
					if _, ok := f.Evidence[k]; !ok {
						t.Errorf("%s: evidence lacks %s", f.ID, k)
					}
				}
			}
			if len(a.Timeline) == 0 {
				t.Error("empty timeline")
			}
			for i := 1; i < len(a.Timeline); i++ {
				if a.Timeline[i].Time.Before(a.Timeline[i-1].Time) {
					t.Fatalf("timeline out of order at %d", i)
				}
			}
		})
	}
}

func TestCleanSampleRaisesNothing(t *testing.T) {
	t.Parallel()
	recs, st := readFileRecords(t, "../../testdata/cloudtrail/clean/benign-readonly.json")
	if st.Records < 10 {
		t.Fatalf("clean sample has %d records", st.Records)
	}
	a := Analyze(recs)
	if len(a.Findings) != 0 || len(a.Timeline) != 0 {
		t.Errorf("clean sample raised %v", findingIDs(a))
	}
}

// A secret pasted into attacker text (a user agent, a user name) is
// redacted before it reaches findings or the timeline (and so
// timeline.csv, which nothing else escapes).
func TestAttackerTextIsRedacted(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	a := Analyze(toRecords(t, one(ev("iam", "CreateUser", user, "userAgent", "curl key="+secret, "requestParameters", req{"userName": "bob " + secret}))))
	if len(a.Findings) == 0 || len(a.Timeline) == 0 {
		t.Fatal("no finding")
	}
	f, e := a.Findings[0], a.Timeline[0]
	for _, s := range []string{f.Evidence["userAgent"], f.Resource, f.Reason, e.UserAgent, e.Target} {
		if strings.Contains(s, secret) {
			t.Errorf("secret survived in %q", s)
		}
	}
}

// Secrets in bodies (the session token GetFederationToken returns) must
// never reach findings.
func TestFindingsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	recs, _ := readFileRecords(t, "../../testdata/cloudtrail/stratus-red-team/aws.persistence.sts-federation-token.json")
	a := Analyze(recs)
	for _, f := range a.Findings {
		for k, v := range f.Evidence {
			if strings.Contains(v, "IQoJb3JpZ2lu") {
				t.Errorf("%s evidence %s leaks a session token", f.ID, k)
			}
		}
		if strings.Contains(f.Reason, "IQoJb3JpZ2lu") {
			t.Errorf("%s reason leaks a session token", f.ID)
		}
	}
}
