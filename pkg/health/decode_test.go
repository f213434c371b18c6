package health_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/abusedesk/abusedesk/pkg/health"
)

const (
	eventsDir   = "../../events"
	realdataDir = "../../testdata/realdata/health"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("unable to read %s: %v", path, err)
	}
	return b
}

func decodeOne(t *testing.T, raw []byte) health.Event {
	t.Helper()
	evs, err := health.Decode(raw)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(evs) != 1 {
		t.Fatalf("Decode gave %d events, want 1", len(evs))
	}
	return evs[0]
}

// TestRoundTrip checks every event shape survives parse → marshal → parse:
// the Lambda and the CLI hand events on between stages as marshalled JSON.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		wantShape  func(t *testing.T, ev health.Event)
	}{
		{"eventbridge abuse", eventsDir + "/abuse-dos.json", func(t *testing.T, ev health.Event) {
			if ev.Detail.Service != "ABUSE" || ev.DetailType != "AWS Health Abuse Event" || ev.Detail.Page != 1 || ev.Detail.TotalPages != 1 {
				t.Errorf("unexpected event %+v", ev)
			}
		}},
		{"eventbridge risk", eventsDir + "/risk-credentials-exposed.json", func(t *testing.T, ev health.Event) {
			if ev.Detail.Service != "RISK" || ev.DetailType != "AWS Health Event" {
				t.Errorf("unexpected event %+v", ev)
			}
		}},
		{"aws sample with RFC 1123 times and metadata", realdataDir + "/aws-health-abuse-event-sample-2.json", func(t *testing.T, ev health.Event) {
			if ev.Detail.EventMetadata["truncated"] != "true" || ev.Detail.TotalPages != 10 || len(ev.Detail.AffectedEntities) != 4 {
				t.Errorf("unexpected event %+v", ev)
			}
			if got := ev.Detail.LastUpdatedTime.UTC().Format("2006-01-02T15:04:05Z"); got != "2023-01-27T13:44:13Z" {
				t.Errorf("lastUpdatedTime = %s", got)
			}
		}},
		{"ordinary", realdataDir + "/aws-health-event-sample-1.json", func(t *testing.T, ev health.Event) {
			if ev.Detail.Service != "ELASTICLOADBALANCING" || ev.Detail.EndTime.IsZero() {
				t.Errorf("unexpected event %+v", ev)
			}
		}},
		{"org form", eventsDir + "/edge-org-form.json", func(t *testing.T, ev health.Event) {
			if ev.Account == ev.Detail.AffectedAccount {
				t.Errorf("org form should differ: envelope %s, affected %s", ev.Account, ev.Detail.AffectedAccount)
			}
		}},
		{"putevents entry array", realdataDir + "/aws-health-tools-dos-mockpayload.putevents.json", func(t *testing.T, ev health.Event) {
			if ev.Source != "awsmock.health" || ev.Detail.EventTypeCode != "AWS_ABUSE_DOS_REPORT" || len(ev.Detail.AffectedEntities) != 2 {
				t.Errorf("unexpected event %+v", ev)
			}
			// "2018-11-27T01:30:00Z <<fill this time in GMT>>": the first word.
			if got := ev.Time.Format("2006-01-02T15:04:05Z"); got != "2018-11-27T01:30:00Z" {
				t.Errorf("time = %s", got)
			}
		}},
		{"sns wrapped", realdataDir + "/hmrc-risk-credentials-exposed.sns-wrapped.json", func(t *testing.T, ev health.Event) {
			if ev.Source != "aws.health" || ev.Detail.Service != "RISK" {
				t.Errorf("unexpected event %+v", ev)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := decodeOne(t, readFile(t, tt.file))
			tt.wantShape(t, ev)
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			back, err := health.Parse(b)
			if err != nil {
				t.Fatalf("Parse of marshalled event: %v\n%s", err, b)
			}
			if !reflect.DeepEqual(normalise(back), normalise(ev)) {
				t.Errorf("round trip changed the event:\n got %+v\nwant %+v", back, ev)
			}
			again, err := json.Marshal(back)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("second marshal differs (%v):\n%s\n%s", err, again, b)
			}
		})
	}
}

// normalise makes empty and absent lists and maps alike: omitempty writes
// neither, so both read back as nil.
func normalise(ev health.Event) health.Event {
	if len(ev.Resources) == 0 {
		ev.Resources = nil
	}
	d := &ev.Detail
	if len(d.AffectedEntities) == 0 {
		d.AffectedEntities = nil
	}
	if len(d.EventDescription) == 0 {
		d.EventDescription = nil
	}
	if len(d.EventMetadata) == 0 {
		d.EventMetadata = nil
	}
	ents := make([]health.Entity, 0, len(d.AffectedEntities))
	for _, e := range d.AffectedEntities {
		if len(e.Tags) == 0 {
			e.Tags = nil
		}
		ents = append(ents, e)
	}
	if d.AffectedEntities != nil {
		d.AffectedEntities = ents
	}
	return ev
}

// TestSNSUnwrapsToSameEvent: the SNS delivery and the direct org-form event
// are the same event and must become the same notice.
func TestSNSUnwrapsToSameEvent(t *testing.T) {
	t.Parallel()
	sns := decodeOne(t, readFile(t, realdataDir+"/hmrc-risk-credentials-exposed.sns-wrapped.json"))
	org := decodeOne(t, readFile(t, realdataDir+"/hmrc-risk-credentials-exposed-org.json"))
	if !reflect.DeepEqual(sns, org) {
		t.Errorf("SNS-wrapped event differs from the direct one:\n sns %+v\n org %+v", sns, org)
	}
}

func TestDecodeArrayOfEvents(t *testing.T) {
	t.Parallel()
	a := bytes.TrimSpace(readFile(t, eventsDir+"/abuse-dos.json"))
	b := bytes.TrimSpace(readFile(t, eventsDir+"/risk-credentials-exposed.json"))
	raw := []byte("[" + string(a) + "," + string(b) + "]")
	evs, err := health.Decode(raw)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(evs) != 2 || evs[0].Detail.Service != "ABUSE" || evs[1].Detail.Service != "RISK" {
		t.Fatalf("got %d events: %+v", len(evs), evs)
	}
}

// validEvent is a minimal abuse event that tests mutate.
const validEvent = `{"detail-type":"AWS Health Abuse Event","source":"aws.health","account":"123456789012",
"time":"2025-02-10T09:15:00Z","region":"global","detail":{"eventArn":"arn:aws:health:global::event/X",
"service":"ABUSE","eventTypeCode":"AWS_ABUSE_DOS_REPORT","lastUpdatedTime":"Mon, 10 Feb 2025 09:15:00 GMT",
"page":"1","totalPages":"1"}}`

// TestMalformed: every kind of bad input is a typed error that says what
// is wrong, from either Decode or Validate, and never a panic.
func TestMalformed(t *testing.T) {
	t.Parallel()
	huge := `{"detail-type":"x","source":"aws.health","detail":{"eventArn":"` + strings.Repeat("A", health.MaxEventBytes) + `"}}`
	tests := []struct {
		name    string
		input   string
		skip    bool   // want *SkipError rather than *InputError
		wantMsg string // substring of the error
	}{
		{"empty", "", false, "empty input"},
		{"whitespace", " \n\t ", false, "empty input"},
		{"empty object", "{}", false, "empty object"},
		{"empty array", "[]", false, "empty array"},
		{"number", "42", false, "want a JSON object or array"},
		{"string", `"x"`, false, "want a JSON object or array"},
		{"null", "null", false, "want a JSON object or array"},
		{"array of numbers", "[1]", false, "item 0"},
		{"no detail", `{"source":"aws.health"}`, false, "no detail"},
		{"wrong source", strings.Replace(validEvent, `"aws.health"`, `"aws.ec2"`, 1), false, `source is "aws.ec2"`},
		{"wrong detail-type", strings.Replace(validEvent, `AWS Health Abuse Event`, `EC2 Instance State-change Notification`, 1), false, "detail-type"},
		{"detail {}", `{"detail-type":"AWS Health Event","source":"aws.health","detail":{}}`, false, "lacks eventArn"},
		{"detail not an object", `{"detail-type":"AWS Health Event","source":"aws.health","detail":"x"}`, false, "malformed Health event"},
		{"bad lastUpdatedTime", strings.Replace(validEvent, `Mon, 10 Feb 2025 09:15:00 GMT`, `yesterday`, 1), false, `unable to parse time "yesterday"`},
		{"time not a string", strings.Replace(validEvent, `"Mon, 10 Feb 2025 09:15:00 GMT"`, `12345`, 1), false, "want a string"},
		{"bad envelope time", strings.Replace(validEvent, `2025-02-10T09:15:00Z`, `not-a-time`, 1), false, "malformed Health event"},
		{"page as x", strings.Replace(validEvent, `"page":"1"`, `"page":"x"`, 1), false, "page number"},
		{"negative page", strings.Replace(validEvent, `"page":"1"`, `"page":-3`, 1), false, "non-negative"},
		{"truncated JSON", validEvent[:len(validEvent)/2], false, "not JSON"},
		{"truncated array", "[" + validEvent[:40], false, "malformed JSON array"},
		{"huge input", huge, false, "at most"},
		{"sns with non-JSON message", `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"hello, world"}}]}`, false, "SNS record 0"},
		{"sns with empty message", `{"Records":[{"Sns":{"Message":""}}]}`, false, "empty input"},
		{"records not sns", `{"Records":[{"s3":{}}]}`, false, "not an SNS record"},
		{"putevents detail not a string", `[{"DetailType":"AWS Health Abuse Event","Source":"aws.health","Detail":{"service":"ABUSE"}}]`, false, "Detail must be a JSON string"},
		{"putevents detail not JSON", `[{"DetailType":"AWS Health Abuse Event","Source":"aws.health","Detail":"{not json"}]`, false, "not a Health detail"},
		{"ordinary event", string(readFile(t, realdataDir+"/aws-health-event-sample-2.json")), true, "service EC2 (AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED) is not ABUSE or RISK"},
		{"sns-wrapped ordinary event", `{"Records":[{"Sns":{"Message":` + jsonString(t, readFile(t, realdataDir+"/aws-health-event-sample-1.json")) + `}}]}`, true, "service ELASTICLOADBALANCING"},
		{"sns-wrapped wrong source", `{"Records":[{"Sns":{"Message":` + jsonString(t, []byte(strings.Replace(validEvent, `"aws.health"`, `"aws.s3"`, 1))) + `}}]}`, false, `source is "aws.s3"`},
		{"putevents mock source", string(readFile(t, realdataDir+"/aws-health-tools-dos-mockpayload.putevents.json")), false, `source is "awsmock.health", want aws.health`},
		{"putevents entry without Source", `[{"DetailType":"AWS Health Abuse Event","Detail":"{\"eventArn\":\"a\",\"service\":\"ABUSE\",\"eventTypeCode\":\"X\"}"}]`, false, `source is ""`},
		{"putevents ordinary event", `[{"DetailType":"AWS Health Event","Source":"aws.health","Detail":"{\"eventArn\":\"a\",\"service\":\"EC2\",\"eventTypeCode\":\"AWS_EC2_X\"}"}]`, true, "service EC2 (AWS_EC2_X)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := decodeAndValidate([]byte(tt.input))
			if err == nil {
				t.Fatal("no error")
			}
			var in *health.InputError
			var sk *health.SkipError
			switch {
			case tt.skip && !errors.As(err, &sk):
				t.Errorf("want *SkipError, got %T: %v", err, err)
			case !tt.skip && !errors.As(err, &in):
				t.Errorf("want *InputError, got %T: %v", err, err)
			}
			if tt.skip != health.IsSkip(err) {
				t.Errorf("IsSkip = %v", health.IsSkip(err))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long: it should not echo the input", len(err.Error()))
			}
		})
	}
}

func jsonString(t *testing.T, b []byte) string {
	t.Helper()
	out, err := json.Marshal(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func decodeAndValidate(raw []byte) error {
	evs, err := health.Decode(raw)
	if err != nil {
		return err
	}
	var errs []error
	for _, ev := range evs {
		if _, err := health.Validate(ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// TestParseAcceptsProducerVariants covers what forwarders send besides the
// documented shape: a single description object, numeric pages, RFC 3339
// times, non-string metadata.
func TestParseAcceptsProducerVariants(t *testing.T) {
	t.Parallel()
	raw := `{"detail-type":"AWS Health Event","source":"aws.health","account":"123456789012","detail":{
"eventArn":"arn:aws:health:us-east-1::event/Y","service":"risk","eventTypeCode":"AWS_RISK_CREDENTIALS_EXPOSED",
"startTime":"2025-02-10T08:00:00+09:00","page":2,"totalPages":"3",
"eventDescription":{"language":"en_US","latestDescription":"one object"},
"eventMetadata":{"count":3,"flag":true,"name":"x"}}}`
	ev, err := health.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	n, err := health.Validate(ev)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if n.Service != health.ServiceRisk || n.Page != 2 || n.Pages != 3 || n.Status != "open" {
		t.Errorf("notice %+v", n)
	}
	if got := n.Updated.Format("2006-01-02T15:04:05Z07:00"); got != "2025-02-09T23:00:00Z" {
		t.Errorf("Updated = %s, want the start time in UTC", got)
	}
	if got := ev.Detail.EventDescription.English(); got != "one object" {
		t.Errorf("description = %q", got)
	}
	if m := ev.Detail.EventMetadata; m["count"] != "3" || m["flag"] != "true" || m["name"] != "x" {
		t.Errorf("metadata = %v", m)
	}
}

func TestValidateWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, to, want string
	}{
		{"closed without endTime", `"page":"1"`, `"statusCode":"closed","page":"1"`, "closed but has no endTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := strings.Replace(validEvent, tt.from, tt.to, 1)
			ev, err := health.Parse([]byte(raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			n, err := health.Validate(ev)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !strings.Contains(strings.Join(n.Warnings, "\n"), tt.want) {
				t.Errorf("warnings %q lack %q", n.Warnings, tt.want)
			}
		})
	}
}

func TestValidateRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, eventRegion, envRegion, want string
	}{
		{"detail region wins", "us-west-2", "us-east-1", "us-west-2"},
		{"global detail falls back to envelope", "global", "eu-west-1", "eu-west-1"},
		{"both global", "global", "global", "global"},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := decodeOne(t, []byte(validEvent))
			ev.Region, ev.Detail.EventRegion = tt.envRegion, tt.eventRegion
			n, err := health.Validate(ev)
			if err != nil {
				t.Fatal(err)
			}
			if n.Region != tt.want {
				t.Errorf("Region = %q, want %q", n.Region, tt.want)
			}
		})
	}
}

// allSeeds lists every sample event file in the repository.
func allSeeds(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{eventsDir + "/*.json", realdataDir + "/*.json"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) < 20 {
		t.Fatalf("found only %d sample events", len(out))
	}
	return out
}

// FuzzDecode: no input makes the parser panic, and any event that
// validates survives a marshal/parse/validate round without changing what
// it means to the case model.
func FuzzDecode(f *testing.F) {
	for _, p := range allSeeds(f) {
		// Compact seeds: the fuzzer minimises every new input, and
		// indentation only makes that slower.
		var buf bytes.Buffer
		if err := json.Compact(&buf, readFile(f, p)); err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"Records":[{"Sns":{"Message":"{\"detail\":{}}"}}]}`))
	f.Add([]byte(`[{"DetailType":"AWS Health Abuse Event","Source":"aws.health","Detail":"{}","Time":"x y"}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		evs, err := health.Decode(raw)
		if err != nil {
			var in *health.InputError
			if !errors.As(err, &in) {
				t.Fatalf("Decode error is %T, want *InputError: %v", err, err)
			}
			return
		}
		for _, ev := range evs {
			n, err := health.Validate(ev)
			if err != nil {
				var in *health.InputError
				var sk *health.SkipError
				if !errors.As(err, &in) && !errors.As(err, &sk) {
					t.Fatalf("Validate error is %T: %v", err, err)
				}
				continue
			}
			_ = health.ExtractTargets(n)
			if n.Account != health.UnknownAccount && !health.ValidAccount(n.Account) {
				t.Fatalf("account %q is neither valid nor unknown", n.Account)
			}
			once, err := json.Marshal(ev)
			if err != nil {
				t.Fatalf("Marshal of a valid event: %v", err)
			}
			ev2, err := health.Parse(once)
			if err != nil {
				t.Fatalf("re-Parse: %v\n%s", err, once)
			}
			n2, err := health.Validate(ev2)
			if err != nil {
				t.Fatalf("re-Validate: %v\n%s", err, once)
			}
			if n2.Service != n.Service || n2.Category != n.Category || n2.Page != n.Page || n2.Pages != n.Pages {
				t.Fatalf("notice changed on round trip:\n got %+v\nwant %+v", n2, n)
			}
			// One marshal normalises (UTF-8, UTC seconds); after it the
			// event must be a fixed point.
			twice, err := json.Marshal(ev2)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(once, twice) {
				t.Fatalf("marshal is not stable:\n%s\n%s", once, twice)
			}
		}
	})
}

func TestDecodePutEventsRequest(t *testing.T) {
	t.Parallel()
	detail := `{\"eventArn\":\"arn:aws:health:global::event/AWS_ABUSE_DOS_REPORT_1\",\"service\":\"ABUSE\",\"eventTypeCode\":\"AWS_ABUSE_DOS_REPORT\",\"startTime\":\"Tue, 27 Nov 2018 01:30:00 GMT\"}`
	raw := `{"Entries":[{"Source":"aws.health","DetailType":"AWS Health Abuse Event","Detail":"` + detail + `"},` +
		`{"Source":"aws.health","DetailType":"AWS Health Abuse Event","Detail":"` + detail + `"}]}`
	evs, err := health.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Detail.EventTypeCode != "AWS_ABUSE_DOS_REPORT" {
		t.Fatalf("Decode = %+v", evs)
	}
	for _, bad := range []string{`{"Entries":[{"Source":"aws.health"}]}`, `{"Entries":[42]}`, `{"Entries":[{"DetailType":"x","Detail":{}}]}`} {
		var ie *health.InputError
		if _, err := health.Decode([]byte(bad)); !errors.As(err, &ie) {
			t.Errorf("Decode(%s) = %v, want *health.InputError", bad, err)
		}
	}
}

// TestValidateNeedsATime: without any time an update cannot be told from a
// redelivery and no reply deadline can be set, so the event is refused;
// Go's zero time written out counts as no time.
func TestValidateNeedsATime(t *testing.T) {
	t.Parallel()
	for _, zero := range []string{``, `"0001-01-01T00:00:00Z"`, `"Mon, 01 Jan 0001 00:00:00 GMT"`} {
		raw := strings.Replace(validEvent, `"lastUpdatedTime":"Mon, 10 Feb 2025 09:15:00 GMT",`, ``, 1)
		if zero == `` {
			raw = strings.Replace(raw, `"time":"2025-02-10T09:15:00Z",`, ``, 1)
		} else {
			raw = strings.Replace(raw, `"time":"2025-02-10T09:15:00Z",`, `"time":`+zero+`,`, 1)
		}
		ev, err := health.Parse([]byte(raw))
		if err != nil {
			continue // refused already at decoding: fine
		}
		var ie *health.InputError
		if _, err := health.Validate(ev); !errors.As(err, &ie) || !strings.Contains(err.Error(), "no lastUpdatedTime") {
			t.Errorf("time %s: Validate error %v, want an *InputError about the missing time", zero, err)
		}
	}
}

func TestInputErrorsAreRedacted(t *testing.T) {
	t.Parallel()
	const sk = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	raw := strings.Replace(validEvent, `"time":"2025-02-10T09:15:00Z"`, `"time":"`+sk+`"`, 1)
	_, err := health.Parse([]byte(raw))
	if err == nil || strings.Contains(err.Error(), sk) {
		t.Fatalf("Parse error %v: want an error that does not repeat the secret", err)
	}
}
