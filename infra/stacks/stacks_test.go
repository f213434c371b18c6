package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	_ "github.com/abusedesk/abusedesk/infra/internal/quietnode"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

type template map[string]any

type synthesized struct {
	central, member template
	errs            []string
	orgCentral      template
}

var (
	fixtureOnce sync.Once
	fixture     synthesized
	fixtureErr  error
	// jsii calls go through one Node child process; serialise synths.
	jsiiMu sync.Mutex
)

const (
	memberA = "111111111111"
	memberB = "222222222222"
	orgID   = "o-abcdef1234"
)

// fakeBuild writes placeholder bootstraps: synth must never compile Go, so
// any file content is a valid asset.
func fakeBuild(t testing.TB) string {
	dir := t.TempDir()
	for _, fn := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, fn.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn.Name, bootstrapName), []byte("placeholder "+fn.Name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readTemplate(t testing.TB, dir, stack string) template {
	b, err := os.ReadFile(filepath.Join(dir, stack+".template.json"))
	if err != nil {
		t.Fatalf("unable to read template: %v", err)
	}
	var tpl template
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("unable to parse template: %v", err)
	}
	return tpl
}

func synthApp(t testing.TB, ctx map[string]any) (string, []string) {
	t.Helper()
	jsiiMu.Lock()
	defer jsiiMu.Unlock()
	out := t.TempDir()
	app := NewApp(ctx, out)
	if _, _, err := Build(app); err != nil {
		t.Fatalf("unable to build app: %v", err)
	}
	asm := app.Synth(nil)
	return out, UnsuppressedErrors(asm)
}

func get(t testing.TB) synthesized {
	t.Helper()
	fixtureOnce.Do(func() {
		build := fakeBuild(t)
		out, errs := synthApp(t, map[string]any{
			CtxBuildDir:       build,
			CtxMemberAccounts: memberA + "," + memberB,
		})
		fixture.central = readTemplate(t, out, DefaultCentralStackName)
		fixture.member = readTemplate(t, out, DefaultMemberStackName)
		fixture.errs = errs
		orgOut, orgErrs := synthApp(t, map[string]any{CtxBuildDir: build, CtxOrganizationID: orgID})
		fixture.orgCentral = readTemplate(t, orgOut, DefaultCentralStackName)
		fixture.errs = append(fixture.errs, orgErrs...)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func (tpl template) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := tpl["Resources"].(map[string]any)
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func asStrings(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// ref extracts the logical id from {"Ref": id} or {"Fn::GetAtt": [id, ...]}.
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

func functionByName(t *testing.T, tpl template, name string) string {
	t.Helper()
	for id := range tpl.resources("AWS::Lambda::Function") {
		if strings.HasPrefix(id, envName(name)+"Function") {
			return id
		}
	}
	t.Fatalf("no function %s in template", name)
	return ""
}

func TestNagHasNoUnsuppressedErrors(t *testing.T) {
	s := get(t)
	if len(s.errs) > 0 {
		t.Fatalf("cdk-nag errors:\n%s", strings.Join(s.errs, "\n"))
	}
}

func TestNagSuppressionsHaveReasons(t *testing.T) {
	s := get(t)
	for name, tpl := range map[string]template{"central": s.central, "member": s.member, "org": s.orgCentral} {
		n := 0
		for id, r := range tpl["Resources"].(map[string]any) {
			for _, sup := range nagSuppressions(r.(map[string]any)) {
				n++
				reason, _ := sup["reason"].(string)
				if len(strings.Fields(reason)) < 8 {
					t.Errorf("%s/%s: suppression %v has no real reason: %q", name, id, sup["id"], reason)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: expected suppressions in template metadata", name)
		}
	}
}

// TestNagFailsOnUnsuppressedError proves the check can fail: an insecure
// queue without a suppression must surface as an error.
func TestNagFailsOnUnsuppressedError(t *testing.T) {
	jsiiMu.Lock()
	defer jsiiMu.Unlock()
	app := NewApp(nil, t.TempDir())
	stack := awscdk.NewStack(app, jsii.String("Insecure"), nil)
	awssqs.NewQueue(stack, jsii.String("Plain"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
	ApplyNag(app)
	errs := UnsuppressedErrors(app.Synth(nil))
	want := []string{"AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4"}
	for _, w := range want {
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, w) }) {
			t.Errorf("expected unsuppressed %s, got %v", w, errs)
		}
	}
}

func nagSuppressions(r map[string]any) []map[string]any {
	md, _ := r["Metadata"].(map[string]any)
	cn, _ := md["cdk_nag"].(map[string]any)
	var out []map[string]any
	for _, s := range asList(cn["rules_to_suppress"]) {
		if m, ok := s.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestHealthRulesOnDefaultAndCustomBus(t *testing.T) {
	s := get(t)
	want := map[string]any{
		"source":      []any{"aws.health"},
		"detail-type": []any{"AWS Health Abuse Event", "AWS Health Event"},
		"detail":      map[string]any{"service": []any{"ABUSE", "RISK"}},
	}
	ingest := functionByName(t, s.central, "ingest")
	var onDefault, onCustom int
	for id, r := range s.central.resources("AWS::Events::Rule") {
		p := props(r)
		if !reflect.DeepEqual(p["EventPattern"], want) {
			continue
		}
		targets := asList(p["Targets"])
		if len(targets) != 1 || ref(targets[0].(map[string]any)["Arn"]) != ingest {
			t.Errorf("%s: health rule must target ingest, got %v", id, targets)
		}
		if _, ok := p["EventBusName"]; ok {
			onCustom++
		} else {
			onDefault++
		}
	}
	if onDefault != 1 || onCustom != 1 {
		t.Fatalf("want one health rule on the default bus and one on the custom bus, got %d and %d", onDefault, onCustom)
	}
	for _, r := range s.member.resources("AWS::Events::Rule") {
		if !reflect.DeepEqual(props(r)["EventPattern"], want) {
			t.Errorf("member forwarding rule pattern = %v", props(r)["EventPattern"])
		}
	}
}

func TestStagesChainedThroughCustomBus(t *testing.T) {
	s := get(t)
	busRules := map[string]string{} // trigger detail-type -> target function
	for _, r := range s.central.resources("AWS::Events::Rule") {
		p := props(r)
		pat := p["EventPattern"].(map[string]any)
		if !reflect.DeepEqual(pat["source"], []any{EventSource}) {
			continue
		}
		if p["EventBusName"] == nil {
			t.Errorf("stage rule %v must be on the custom bus", pat)
		}
		dt := asStrings(pat["detail-type"])
		if len(dt) != 1 {
			t.Fatalf("stage rule must match exactly one detail-type, got %v", dt)
		}
		busRules[dt[0]] = ref(asList(p["Targets"])[0].(map[string]any)["Arn"])
	}
	want := map[string]string{
		DetailCaseOpened:   functionByName(t, s.central, "enrich"),
		DetailCaseEnriched: functionByName(t, s.central, "notify"),
	}
	if !reflect.DeepEqual(busRules, want) {
		t.Fatalf("stage rules = %v, want %v", busRules, want)
	}
	// Each function may emit only the event that drives the next stage.
	emits := map[string]string{"ingest": DetailCaseOpened, "enrich": DetailCaseEnriched, "notify": DetailCaseNotified}
	for fn, dt := range emits {
		stmts := roleStatements(t, s.central, fn)
		var got []string
		for _, st := range stmts {
			if slices.Contains(asStrings(st["Action"]), "events:PutEvents") {
				c := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
				got = append(got, c["events:detail-type"].(string)+"|"+c["events:source"].(string))
			}
		}
		if !reflect.DeepEqual(got, []string{dt + "|" + EventSource}) {
			t.Errorf("%s PutEvents scope = %v, want only %q", fn, got, dt)
		}
	}
}

func TestCSVImportTriggeredByIntakeUploads(t *testing.T) {
	s := get(t)
	fn := functionByName(t, s.central, "csvimport")
	var found bool
	for _, r := range s.central.resources("Custom::S3BucketNotifications") {
		b, _ := json.Marshal(props(r)["NotificationConfiguration"])
		if strings.Contains(string(b), fn) && strings.Contains(string(b), `"Value":"intake/"`) &&
			strings.Contains(string(b), "s3:ObjectCreated:*") {
			found = true
		}
	}
	if !found {
		t.Fatal("no ObjectCreated notification on intake/ for csvimport")
	}
	var reads bool
	for _, st := range roleStatements(t, s.central, "csvimport") {
		b, _ := json.Marshal(st["Resource"])
		if slices.Contains(asStrings(st["Action"]), "s3:GetObject") && strings.Contains(string(b), "/intake/*") {
			reads = true
		}
	}
	if !reads {
		t.Error("csvimport cannot read intake/")
	}
}

func TestEveryTargetHasDLQAndRetryPolicy(t *testing.T) {
	s := get(t)
	for name, tpl := range map[string]template{"central": s.central, "member": s.member} {
		rules := tpl.resources("AWS::Events::Rule")
		if len(rules) == 0 {
			t.Fatalf("%s: no rules", name)
		}
		for id, r := range rules {
			for _, tg := range asList(props(r)["Targets"]) {
				m := tg.(map[string]any)
				dlc, _ := m["DeadLetterConfig"].(map[string]any)
				if dlc == nil || ref(dlc["Arn"]) == "" {
					t.Errorf("%s/%s: target without dead-letter queue", name, id)
				}
				if name == "member" {
					continue // EventBridge does not take a retry policy for bus targets via CDK
				}
				rp, _ := m["RetryPolicy"].(map[string]any)
				if rp == nil || rp["MaximumRetryAttempts"] == nil || rp["MaximumEventAgeInSeconds"] == nil {
					t.Errorf("%s/%s: target without retry attempts/maximum event age: %v", name, id, m)
				}
			}
		}
	}
}

func TestFunctionsAreArmAL2023PrebuiltBootstraps(t *testing.T) {
	s := get(t)
	all := s.central.resources("AWS::Lambda::Function")
	fns := map[string]map[string]any{}
	for _, spec := range Functions {
		id := functionByName(t, s.central, spec.Name)
		fns[id] = all[id]
	}
	invokeCfg := map[string]map[string]any{}
	for _, r := range s.central.resources("AWS::Lambda::EventInvokeConfig") {
		invokeCfg[ref(props(r)["FunctionName"])] = props(r)
	}
	required := []string{"ABUSEDESK_MODE", "ABUSEDESK_TABLE", "ABUSEDESK_BUS", "ABUSEDESK_REPORT_BUCKET",
		"ABUSEDESK_ALERT_TOPIC_ARN", "ABUSEDESK_SENDER", "ABUSEDESK_SENDER_IDENTITY_ARN", "ABUSEDESK_CONFIGURATION_SET",
		"ABUSEDESK_REPLY_TO", "ABUSEDESK_DEFAULT_RECIPIENT", "ABUSEDESK_MEMBER_ROLE_NAME", "ABUSEDESK_EXTERNAL_ID",
		"ABUSEDESK_SES_REGIONS", "ABUSEDESK_INTAKE_REGIONS"}
	for id, r := range fns {
		p := props(r)
		if !reflect.DeepEqual(p["Architectures"], []any{"arm64"}) || p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
			t.Errorf("%s: arch=%v runtime=%v handler=%v", id, p["Architectures"], p["Runtime"], p["Handler"])
		}
		if p["MemorySize"] == nil || p["Timeout"] == nil {
			t.Errorf("%s: memory and timeout must be sized explicitly", id)
		}
		if dl, _ := p["DeadLetterConfig"].(map[string]any); dl == nil {
			t.Errorf("%s: no function dead-letter queue for failed async invocations", id)
		}
		ic := invokeCfg[id]
		if ic == nil || ic["MaximumRetryAttempts"] == nil || ic["MaximumEventAgeInSeconds"] == nil {
			t.Errorf("%s: no async retry/age configuration: %v", id, ic)
		}
		md := r["Metadata"].(map[string]any)
		if path, _ := md["aws:asset:path"].(string); !strings.HasPrefix(path, "asset.") || md["aws:asset:property"] != "Code" {
			t.Errorf("%s: asset metadata for sam local invoke missing: %v", id, md)
		}
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		for _, k := range required {
			if _, ok := env[k]; !ok {
				t.Errorf("%s: environment lacks %s", id, k)
			}
		}
		if env["ABUSEDESK_MODE"] != "aws" {
			t.Errorf("%s: ABUSEDESK_MODE = %v", id, env["ABUSEDESK_MODE"])
		}
		if ref(env["ABUSEDESK_EXTERNAL_ID"]) != "ExternalId" {
			t.Errorf("%s: ExternalId must come from the NoEcho parameter, got %v", id, env["ABUSEDESK_EXTERNAL_ID"])
		}
	}
	if !s.central["Parameters"].(map[string]any)["ExternalId"].(map[string]any)["NoEcho"].(bool) {
		t.Error("ExternalId parameter must be NoEcho")
	}
}

func TestAssetHashFollowsBootstrapContent(t *testing.T) {
	build := fakeBuild(t)
	code := func() map[string]string {
		out, errs := synthApp(t, map[string]any{CtxBuildDir: build})
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		tpl := readTemplate(t, out, DefaultCentralStackName)
		m := map[string]string{}
		for id, r := range tpl.resources("AWS::Lambda::Function") {
			if key, ok := props(r)["Code"].(map[string]any)["S3Key"].(string); ok {
				m[id] = key
			}
		}
		if len(m) != len(Functions) {
			t.Fatalf("want %d asset-backed functions, got %v", len(Functions), m)
		}
		return m
	}
	first := code()
	if again := code(); !reflect.DeepEqual(first, again) {
		t.Fatalf("asset keys changed without a binary change: %v vs %v", first, again)
	}
	if err := os.WriteFile(filepath.Join(build, "notify", bootstrapName), []byte("rebuilt notify"), 0o755); err != nil {
		t.Fatal(err)
	}
	changed := code()
	for id, key := range first {
		moved := changed[id] != key
		if moved != strings.HasPrefix(id, "Notify") {
			t.Errorf("%s: key moved=%v after rebuilding only notify", id, moved)
		}
	}
}

func TestEncryptionAndDataProtection(t *testing.T) {
	s := get(t)
	for id, r := range s.central.resources("AWS::DynamoDB::Table") {
		p := props(r)
		sse := p["SSESpecification"].(map[string]any)
		if sse["SSEEnabled"] != true || sse["SSEType"] != "KMS" || sse["KMSMasterKeyId"] == nil {
			t.Errorf("%s: table not encrypted with the stack key: %v", id, sse)
		}
		if p["PointInTimeRecoverySpecification"].(map[string]any)["PointInTimeRecoveryEnabled"] != true {
			t.Errorf("%s: PITR off", id)
		}
		ttl := p["TimeToLiveSpecification"].(map[string]any)
		if ttl["Enabled"] != true || ttl["AttributeName"] != TableTTLAttribute {
			t.Errorf("%s: TTL = %v", id, ttl)
		}
	}
	for id, r := range s.central.resources("AWS::SNS::Topic") {
		if props(r)["KmsMasterKeyId"] == nil {
			t.Errorf("%s: topic not KMS-encrypted", id)
		}
	}
	for id, r := range s.central.resources("AWS::KMS::Key") {
		if props(r)["EnableKeyRotation"] != true {
			t.Errorf("%s: key rotation off", id)
		}
	}
	buckets := s.central.resources("AWS::S3::Bucket")
	if len(buckets) != 2 {
		t.Fatalf("want report and access-log buckets, got %d", len(buckets))
	}
	tlsOnly := map[string]bool{}
	for _, r := range s.central.resources("AWS::S3::BucketPolicy") {
		for _, st := range asList(props(r)["PolicyDocument"].(map[string]any)["Statement"]) {
			m := st.(map[string]any)
			c, _ := m["Condition"].(map[string]any)
			b, _ := c["Bool"].(map[string]any)
			if m["Effect"] == "Deny" && b["aws:SecureTransport"] == "false" {
				tlsOnly[ref(props(r)["Bucket"])] = true
			}
		}
	}
	for id, r := range buckets {
		p := props(r)
		pab := p["PublicAccessBlockConfiguration"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("%s: %s not set", id, k)
			}
		}
		if p["BucketEncryption"] == nil || p["LifecycleConfiguration"] == nil {
			t.Errorf("%s: encryption=%v lifecycle=%v", id, p["BucketEncryption"], p["LifecycleConfiguration"])
		}
		if !tlsOnly[id] {
			t.Errorf("%s: no TLS-only bucket policy", id)
		}
		if strings.HasPrefix(id, "ReportBucket") {
			enc := asList(p["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"])[0].(map[string]any)
			if enc["ServerSideEncryptionByDefault"].(map[string]any)["SSEAlgorithm"] != "aws:kms" {
				t.Errorf("%s: report bucket must use the KMS key: %v", id, enc)
			}
			if p["LoggingConfiguration"] == nil {
				t.Errorf("%s: no server access logging", id)
			}
		}
	}
	for name, tpl := range map[string]template{"central": s.central, "member": s.member} {
		for id, r := range tpl.resources("AWS::SQS::Queue") {
			if props(r)["SqsManagedSseEnabled"] != true && props(r)["KmsMasterKeyId"] == nil {
				t.Errorf("%s/%s: queue not encrypted", name, id)
			}
		}
	}
}

func TestAlarmsNotifyOnCall(t *testing.T) {
	s := get(t)
	topic := ""
	for id := range s.central.resources("AWS::SNS::Topic") {
		topic = id
	}
	watched := map[string]bool{}
	for id, r := range s.central.resources("AWS::CloudWatch::Alarm") {
		p := props(r)
		actions := asList(p["AlarmActions"])
		if len(actions) != 1 || ref(actions[0]) != topic {
			t.Errorf("%s: alarm actions %v do not notify the on-call topic", id, actions)
		}
		for _, d := range asList(p["Dimensions"]) {
			watched[p["MetricName"].(string)+"/"+ref(d.(map[string]any)["Value"])] = true
		}
	}
	for _, fn := range Functions {
		fid := functionByName(t, s.central, fn.Name)
		if !watched["Errors/"+fid] {
			t.Errorf("no Errors alarm for %s", fn.Name)
		}
		var dlq string
		for id := range s.central.resources("AWS::SQS::Queue") {
			if strings.HasPrefix(id, envName(fn.Name)+"DLQ") {
				dlq = id
			}
		}
		if !watched["ApproximateNumberOfMessagesVisible/"+dlq] {
			t.Errorf("no DLQ depth alarm for %s (%s)", fn.Name, dlq)
		}
	}
}

// statement is one IAM statement plus the resource that owns it.
type statement struct {
	owner string
	body  map[string]any
}

func iamStatements(tpl template) []statement {
	var out []statement
	for id, r := range tpl.resources("AWS::IAM::Policy") {
		for _, st := range asList(props(r)["PolicyDocument"].(map[string]any)["Statement"]) {
			out = append(out, statement{id, st.(map[string]any)})
		}
	}
	for id, r := range tpl.resources("AWS::IAM::Role") {
		for _, pol := range asList(props(r)["Policies"]) {
			doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
			for _, st := range asList(doc["Statement"]) {
				out = append(out, statement{id, st.(map[string]any)})
			}
		}
	}
	return out
}

func roleStatements(t *testing.T, tpl template, fn string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, st := range iamStatements(tpl) {
		if strings.HasPrefix(st.owner, envName(fn)+"Role") {
			out = append(out, st.body)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no statements for %s", fn)
	}
	return out
}

// TestNoWildcardsOutsideSuppressions re-checks independently of cdk-nag
// that every wildcard action or "*" resource is covered by a reasoned
// AwsSolutions-IAM5 suppression on the owning resource.
func TestNoWildcardsOutsideSuppressions(t *testing.T) {
	s := get(t)
	for name, tpl := range map[string]template{"central": s.central, "member": s.member, "org": s.orgCentral} {
		res := tpl["Resources"].(map[string]any)
		for _, st := range iamStatements(tpl) {
			allowed := map[string]bool{}
			owner := res[st.owner].(map[string]any)
			for _, sup := range nagSuppressions(owner) {
				if sup["id"] == "AwsSolutions-IAM5" {
					for _, a := range asStrings(sup["applies_to"]) {
						allowed[a] = true
					}
				}
			}
			for _, a := range asStrings(st.body["Action"]) {
				if strings.Contains(a, "*") && !allowed["Action::"+a] {
					t.Errorf("%s/%s: wildcard action %q without suppression", name, st.owner, a)
				}
			}
			for _, r := range asStrings(st.body["Resource"]) {
				if r == "*" && !allowed["Resource::*"] {
					t.Errorf("%s/%s: resource * without suppression (actions %v)", name, st.owner, st.body["Action"])
				}
			}
		}
	}
}

func TestMemberRoleGrantsExactlyTheLookupReads(t *testing.T) {
	s := get(t)
	roles := s.member.resources("AWS::IAM::Role")
	var role map[string]any
	for id, r := range roles {
		if strings.HasPrefix(id, "ReadOnlyRole") {
			role = r
		}
	}
	if role == nil {
		t.Fatal("no read-only role")
	}
	if role["Condition"] != "IsRoleRegion" {
		t.Errorf("role must be created in one region only, condition = %v", role["Condition"])
	}
	var got []string
	for _, st := range iamStatements(s.member) {
		if strings.HasPrefix(st.owner, "ReadOnlyRole") {
			if st.body["Effect"] != "Allow" {
				t.Errorf("unexpected effect %v", st.body["Effect"])
			}
			got = append(got, asStrings(st.body["Action"])...)
		}
	}
	want := slices.Clone(MemberReadActions)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("member role actions = %v\nwant %v", got, want)
	}
	trust := asList(props(role)["AssumeRolePolicyDocument"].(map[string]any)["Statement"])
	if len(trust) != 1 {
		t.Fatalf("trust statements = %v", trust)
	}
	tr := trust[0].(map[string]any)
	cond := tr["Condition"].(map[string]any)["StringEquals"].(map[string]any)
	if ref(cond["sts:ExternalId"]) != "ExternalId" || tr["Action"] != "sts:AssumeRole" {
		t.Errorf("trust must require the ExternalId parameter: %v", tr)
	}
	b, _ := json.Marshal(tr["Principal"])
	if !strings.Contains(string(b), "CentralBusArn") {
		t.Errorf("trust principal must be the central account (from CentralBusArn): %s", b)
	}
}

func TestOnlyLookupStagesAssumeMemberRoleWithExternalID(t *testing.T) {
	s := get(t)
	for _, tc := range []struct {
		name    string
		tpl     template
		wantArn []string
	}{
		{"accounts", s.central, []string{
			"arn:${AWS::Partition}:iam::" + memberA + ":role/" + DefaultMemberRole,
			"arn:${AWS::Partition}:iam::" + memberB + ":role/" + DefaultMemberRole}},
		{"organization", s.orgCentral, []string{"arn:${AWS::Partition}:iam::*:role/" + DefaultMemberRole}},
	} {
		var owners []string
		for _, st := range iamStatements(tc.tpl) {
			if !slices.Contains(asStrings(st.body["Action"]), "sts:AssumeRole") {
				continue
			}
			owners = append(owners, st.owner)
			var arns []string
			for _, r := range asList(st.body["Resource"]) {
				arns = append(arns, r.(map[string]any)["Fn::Sub"].(string))
			}
			if !reflect.DeepEqual(arns, tc.wantArn) {
				t.Errorf("%s: AssumeRole resources = %v, want %v", tc.name, arns, tc.wantArn)
			}
			c := st.body["Condition"].(map[string]any)["StringEquals"].(map[string]any)
			if ref(c["sts:ExternalId"]) != "ExternalId" {
				t.Errorf("%s: AssumeRole without ExternalId condition: %v", tc.name, st.body)
			}
		}
		// The lookup stages only: enrich and the CSV import that runs the
		// same lookups.
		sort.Strings(owners)
		if len(owners) != 2 || !strings.HasPrefix(owners[0], "CsvimportRole") || !strings.HasPrefix(owners[1], "EnrichRole") {
			t.Errorf("%s: sts:AssumeRole granted to %v, want enrich and csvimport only", tc.name, owners)
		}
	}
}

func TestOnlyNotifySendsAndOnlyFromSender(t *testing.T) {
	s := get(t)
	var owners []string
	for _, st := range iamStatements(s.central) {
		for _, a := range asStrings(st.body["Action"]) {
			if strings.HasPrefix(a, "ses:") {
				owners = append(owners, st.owner)
				if a != "ses:SendEmail" {
					t.Errorf("unexpected SES action %s", a)
				}
				c := st.body["Condition"].(map[string]any)["StringEquals"].(map[string]any)
				if ref(c["ses:FromAddress"]) != "SenderEmail" {
					t.Errorf("SendEmail not limited to the sender address: %v", st.body)
				}
				b, _ := json.Marshal(st.body["Resource"])
				if !strings.Contains(string(b), ":identity/") || strings.Contains(string(b), `"*"`) {
					t.Errorf("SendEmail resources not scoped to the identity: %s", b)
				}
			}
		}
	}
	if len(owners) != 1 || !strings.HasPrefix(owners[0], "NotifyRole") {
		t.Fatalf("SES permissions on %v, want notify only", owners)
	}
}

func TestBusPolicyAdmitsOnlyForwardedHealthEvents(t *testing.T) {
	s := get(t)
	for _, tc := range []struct {
		name string
		tpl  template
		want func(st map[string]any) bool
	}{
		{"accounts", s.central, func(st map[string]any) bool {
			b, _ := json.Marshal(st["Principal"])
			return strings.Contains(string(b), memberA) && strings.Contains(string(b), memberB)
		}},
		{"organization", s.orgCentral, func(st map[string]any) bool {
			c := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
			return c["aws:PrincipalOrgID"] == orgID
		}},
	} {
		pols := tc.tpl.resources("AWS::Events::EventBusPolicy")
		if len(pols) != 1 {
			t.Fatalf("%s: want one bus policy, got %d", tc.name, len(pols))
		}
		for _, r := range pols {
			st := props(r)["Statement"].(map[string]any)
			if st["Action"] != "events:PutEvents" || !tc.want(st) {
				t.Errorf("%s: statement %v", tc.name, st)
			}
			c := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
			if !reflect.DeepEqual(c["events:source"], []any{HealthSource}) {
				t.Errorf("%s: members may put non-Health events: %v", tc.name, c)
			}
		}
	}
}

func TestMemberStackIsStackSetReady(t *testing.T) {
	s := get(t)
	if _, ok := s.member["Parameters"].(map[string]any)["BootstrapVersion"]; ok {
		t.Error("member stack must not depend on CDK bootstrap")
	}
	if s.member["Rules"] != nil {
		t.Errorf("member stack has rules %v", s.member["Rules"])
	}
	for id, r := range s.member["Resources"].(map[string]any) {
		md, _ := r.(map[string]any)["Metadata"].(map[string]any)
		if _, ok := md["aws:asset:path"]; ok {
			t.Errorf("%s: member stack must not use assets", id)
		}
	}
	for _, p := range []string{"CentralBusArn", "ExternalId", "RoleName", "RoleRegion"} {
		if _, ok := s.member["Parameters"].(map[string]any)[p]; !ok {
			t.Errorf("missing parameter %s", p)
		}
	}
}

func TestCentralConfigValidation(t *testing.T) {
	t.Parallel()
	build := fakeBuild(t)
	tests := []struct {
		name string
		cfg  CentralConfig
		want string
	}{
		{"missing bootstrap", CentralConfig{BuildDir: t.TempDir()}, "make lambdas"},
		{"bad account", CentralConfig{BuildDir: build, MemberAccounts: []string{"12345"}}, "want 12 digits"},
		{"bad org", CentralConfig{BuildDir: build, OrganizationID: "org-1"}, "organization id"},
		{"bad role", CentralConfig{BuildDir: build, MemberRoleName: "a b"}, "role name"},
		{"default bus", CentralConfig{BuildDir: build, BusName: "default"}, "bus name"},
		{"ok", CentralConfig{BuildDir: build, MemberAccounts: []string{memberA}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			err := cfg.normalize()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "unable to") {
				t.Fatalf("error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
