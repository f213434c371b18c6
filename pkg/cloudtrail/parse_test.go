package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"strings"
	"testing"
)

func readAll(t *testing.T, data []byte) ([]Record, Stats, error) {
	t.Helper()
	var recs []Record
	st, err := ReadRecords(bytes.NewReader(data), func(r *Record) error {
		recs = append(recs, *r)
		return nil
	})
	return recs, st, err
}

func TestReadRecordsShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		records  int
		skipped  map[string]int
		wantName string
	}{
		{"envelope.json", 3, nil, "DescribeInstances"},
		{"s3-object.json.gz", 3, nil, "DescribeInstances"},
		{"s3-object-no-extension", 3, nil, "DescribeInstances"},
		{"array.json", 3, nil, "DescribeInstances"},
		{"lines.jsonl", 3, nil, "DescribeInstances"},
		{"lookup-events.json", 3, nil, "DescribeInstances"},
		{"digest.json.gz", 0, map[string]int{SkipDigest: 1}, ""},
		{"validation-message", 0, map[string]int{SkipValidation: 1}, ""},
		{"insight.json", 0, map[string]int{SkipInsight: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile("../../testdata/cloudtrail/shapes/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			recs, st, err := readAll(t, data)
			if err != nil {
				t.Fatalf("ReadRecords: %v", err)
			}
			if len(recs) != tt.records || st.Records != int64(tt.records) {
				t.Fatalf("got %d records (stats %d), want %d", len(recs), st.Records, tt.records)
			}
			for k, v := range tt.skipped {
				if st.Skipped[k] != v {
					t.Errorf("skipped[%s] = %d, want %d (all: %v)", k, st.Skipped[k], v, st.Skipped)
				}
			}
			if tt.records > 0 {
				r := recs[0]
				if r.EventName != tt.wantName || r.UserIdentity.SessionContext == nil ||
					r.UserIdentity.SessionContext.SessionIssuer.UserName != "ops-readonly" || r.EventTime.IsZero() {
					t.Errorf("first record decoded wrong: %+v", r)
				}
			}
		})
	}
}

func TestReadRecordsTolerates(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("A", 300<<10) // far past bufio's 64 KiB line limit
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, r Record)
	}{
		{"unknown identity type", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u"}}}`,
			func(t *testing.T, r Record) {
				if r.UserIdentity.Type != "IdentityCenterUser" || r.Actor() != "IdentityCenterUser" {
					t.Errorf("identity %+v actor %q", r.UserIdentity, r.Actor())
				}
			}},
		{"identity without type", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{"invokedBy":"lambda.amazonaws.com"}}`,
			func(t *testing.T, r Record) {
				if r.Actor() != "lambda.amazonaws.com" {
					t.Errorf("actor %q", r.Actor())
				}
			}},
		{"null and empty bodies", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{},"requestParameters":null,"responseElements":{},"additionalEventData":null}`,
			func(t *testing.T, r Record) {
				if r.RequestParameters != nil || string(r.ResponseElements) != "{}" {
					t.Errorf("bodies %q %q", r.RequestParameters, r.ResponseElements)
				}
			}},
		{"body omitted as too large", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{},"requestParameters":{"omitted":true,"originalSize":150000}}`,
			func(t *testing.T, r Record) {
				if str(r.RequestParameters, "userName") != "" {
					t.Error("omitted body produced a field")
				}
			}},
		{"service and internal source", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{},"sourceIPAddress":"AWS Internal"}`,
			func(t *testing.T, r Record) {
				if _, ok := r.SourceAddr(); ok {
					t.Error("AWS Internal parsed as an address")
				}
			}},
		{"ipv6 source", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{},"sourceIPAddress":"2001:db8::1"}`,
			func(t *testing.T, r Record) {
				if a, ok := r.SourceAddr(); !ok || !a.Is6() {
					t.Errorf("ipv6 not parsed: %v %v", a, ok)
				}
			}},
		{"invalid source", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{},"sourceIPAddress":"08.1.250.216"}`,
			func(t *testing.T, r Record) {
				if _, ok := r.SourceAddr(); ok {
					t.Error("invalid IP accepted")
				}
			}},
		{"readOnly as string and escapes", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"Get\u0058","readOnly":"true","userIdentity":{"userName":"a\"b"}}`,
			func(t *testing.T, r Record) {
				if r.ReadOnly == nil || !*r.ReadOnly || r.EventName != "GetX" || r.UserIdentity.UserName != `a"b` {
					t.Errorf("got %+v", r)
				}
			}},
		{"record of several hundred KB", `{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{},"requestParameters":{"blob":"` + big + `"}}`,
			func(t *testing.T, r Record) {
				if len(r.RequestParameters) < len(big) {
					t.Errorf("body truncated to %d", len(r.RequestParameters))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, wrap := range []string{"%s", `{"Records":[%s]}`, "[%s]"} {
				recs, _, err := readAll(t, []byte(strings.Replace(wrap, "%s", tt.input, 1)))
				if err != nil || len(recs) != 1 {
					t.Fatalf("wrap %s: %d records, err %v", wrap, len(recs), err)
				}
				tt.check(t, recs[0])
			}
		})
	}
}

func TestReadRecordsErrors(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[{"eventName":"X","userIdentity":{}}]}`))
	zw.Close()
	truncatedGzip := gz.Bytes()[:gz.Len()-10]
	// A bad line is skipped, but a stream that cannot be read is no line.
	gz.Reset()
	zw = gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(`{"eventName":"X","userIdentity":{}}`+"\n", 1000)))
	zw.Close()
	truncatedGzipLines := gz.Bytes()[:gz.Len()/2]
	tests := []struct {
		name  string
		input []byte
	}{
		{"truncated envelope", []byte(`{"Records":[{"eventName":"X","userIdentity":{}},`)},
		{"garbage after record", []byte(`[{"eventName":"X","userIdentity":{}} x]`)},
		{"truncated gzip", truncatedGzip},
		{"truncated gzip of JSON Lines", truncatedGzipLines},
		{"unterminated string", []byte(`{"Records":[{"eventName":"X`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := readAll(t, tt.input); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestMalformedRecordIsCountedNotFatal(t *testing.T) {
	t.Parallel()
	in := `{"Records":[{"eventTime":"yesterday","eventName":"X","userIdentity":{}},{"eventTime":"2024-01-01T00:00:00Z","eventName":"Y","userIdentity":{}}]}`
	recs, st, err := readAll(t, []byte(in))
	if err != nil || len(recs) != 1 || st.Skipped[SkipMalformed] != 1 {
		t.Errorf("recs %d stats %+v err %v", len(recs), st, err)
	}
}

func TestCallbackErrorStopsReading(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	n := 0
	_, err := ReadRecords(strings.NewReader(`[{"eventName":"A","userIdentity":{}},{"eventName":"B","userIdentity":{}}]`), func(*Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d records", err, n)
	}
	n = 0
	_, err = ReadRecords(strings.NewReader("{\"eventName\":\"A\",\"userIdentity\":{}}\n{\"eventName\":\"B\",\"userIdentity\":{}}\n"), func(*Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("JSON Lines: err %v after %d records", err, n)
	}
}

func TestCompareEventVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1.10", "1.9", 1}, {"1.9", "1.10", -1}, {"1.08", "1.8", 0}, {"1.10", "1.10", 0}, {"2", "1.99", 1}, {"", "1.0", -1}, {"", "0.0", 0}, {"x.y", "0", 0},
	}
	for _, tt := range tests {
		if got := CompareEventVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareEventVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestBaseEventName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"AddPermission20150331v2":               "AddPermission",
		"CreateFunctionUrlConfig20211031":       "CreateFunctionUrlConfig",
		"UpdateFunctionConfiguration20150331v2": "UpdateFunctionConfiguration",
		"CreateUser":                            "CreateUser",
		"ListObjectsV2":                         "ListObjectsV2",
		"GetObject":                             "GetObject",
	} {
		if got := baseEventName(in); got != want {
			t.Errorf("baseEventName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseLookupEvent(t *testing.T) {
	t.Parallel()
	r, err := ParseLookupEvent(`{"eventVersion":"1.09","eventTime":"2024-02-03T04:05:06Z","eventName":"CreateUser","eventSource":"iam.amazonaws.com","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}`)
	if err != nil || r.EventName != "CreateUser" || !r.IsRoot() || r.EventTime.Year() != 2024 {
		t.Errorf("got %+v, %v", r, err)
	}
	if _, err := ParseLookupEvent(`{"eventName":`); err == nil {
		t.Error("want error for truncated JSON")
	}
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"shapes", "stratus-red-team", "clean"} {
		entries, _ := os.ReadDir("../../testdata/cloudtrail/" + dir)
		for _, e := range entries {
			if b, err := os.ReadFile("../../testdata/cloudtrail/" + dir + "/" + e.Name()); err == nil && len(b) < 4<<10 {
				// Small seeds only: the fuzzer minimises every new input and
				// large ones stall it for the whole of a short CI run.
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"Records":[{"eventName":"X","userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":true}}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []Record
		_, err := ReadRecords(bytes.NewReader(data), func(r *Record) error {
			recs = append(recs, *r)
			return nil
		})
		_ = err
		a := Analyze(recs)
		for _, f := range a.Findings {
			if f.ID == "" || f.Source != Source {
				t.Fatalf("bad finding %+v", f)
			}
		}
		var r Record
		_ = r.UnmarshalJSON(data)
	})
}

func TestJSONLinesBadLineIsSkipped(t *testing.T) {
	t.Parallel()
	rec := func(name string) string {
		return `{"eventTime":"2024-01-01T00:00:00Z","eventName":"` + name + `","userIdentity":{"type":"Root"}}`
	}
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	tests := []struct {
		name      string
		input     string
		want      []string
		badLines  int
		malformed int
	}{
		{"truncated object in the middle", lines(rec("A"), `{"eventName":`, rec("B"), rec("C")), []string{"A", "B", "C"}, 1, 0},
		{"not JSON in the middle", lines(rec("A"), "this is not json", rec("B")), []string{"A", "B"}, 1, 0},
		{"unterminated string", lines(rec("A"), `{"eventName":"X`, rec("B")), []string{"A", "B"}, 1, 0},
		{"missing comma", lines(rec("A"), `{"eventName":"X" "userIdentity":{}}`, rec("B")), []string{"A", "B"}, 1, 0},
		{"several bad lines", lines(rec("A"), "}", "[", `{"a":`, rec("B")), []string{"A", "B"}, 3, 0},
		{"garbage after a record keeps the record", lines(rec("A"), rec("B")+" trailing", rec("C")), []string{"A", "B", "C"}, 1, 0},
		{"truncated last line without newline", lines(rec("A"), rec("B")) + `{"eventName":"C","user`, []string{"A", "B"}, 1, 0},
		{"truncated first line", lines(`{"eventName":`, rec("A"), rec("B")), []string{"A", "B"}, 1, 0},
		{"not JSON first line", lines("garbage", rec("A"), rec("B")), []string{"A", "B"}, 1, 0},
		{"CRLF", strings.ReplaceAll(lines(rec("A"), `{"x`, rec("B")), "\n", "\r\n"), []string{"A", "B"}, 1, 0},
		{"blank lines are not bad", lines(rec("A"), "", "  ", rec("B")), []string{"A", "B"}, 0, 0},
		{"envelope per line", lines(`{"Records":[`+rec("A")+`]}`, `{"Records":[`+rec("X"), `{"Records":[`+rec("B")+`]}`), []string{"A", "X", "B"}, 1, 0},
		{"valid JSON but not a record is malformed, not a bad line", lines(rec("A"), `{"eventTime":"yesterday","eventName":"X","userIdentity":{}}`, rec("B")), []string{"A", "B"}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, st, err := readAll(t, []byte(tt.input))
			if err != nil {
				t.Fatalf("ReadRecords: %v", err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.EventName)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || st.Records != int64(len(tt.want)) {
				t.Errorf("records %v (stats %d), want %v", got, st.Records, tt.want)
			}
			if st.Skipped[SkipBadLine] != tt.badLines || st.Skipped[SkipMalformed] != tt.malformed {
				t.Errorf("skipped %v, want %d bad lines and %d malformed records", st.Skipped, tt.badLines, tt.malformed)
			}
		})
	}
}

// Without one record per line there is no point to resume from, so a
// parse error still fails the input rather than guessing.
func TestNotJSONLinesStillFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
	}{
		{"pretty envelope cut inside a record", "{\n  \"Records\": [\n    {\"eventName\":\"A\",\"userIdentity\":{}},\n    {\"eventName\": }\n  ]\n}\n"},
		{"pretty envelope cut before any record", "{\n  \"Records\": [\n    {\n      \"eventName\":\n"},
		{"pretty array cut", "[\n  {\n    \"eventName\": \"A\",\n    \"userIdentity\": \n"},
		{"second line bad too", "{\"eventName\":\n}\n{\"eventName\":\"A\",\"userIdentity\":{}}\n"},
		{"concatenated values on one line", `{"eventName":"A","userIdentity":{}}{"eventName":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, st, err := readAll(t, []byte(tt.input)); err == nil {
				t.Errorf("want an error; stats %+v", st)
			}
		})
	}
}

func TestTextIsNotAnEvent(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"hello\n", "# README\n\nsome text\n", "garbage\nmore garbage\n", "a\n{\n"} {
		recs, st, err := readAll(t, []byte(in))
		if err != nil || len(recs) != 0 || st.Skipped[SkipUnknown] != 1 || st.Skipped[SkipBadLine] != 0 {
			t.Errorf("%q: %d records, stats %+v, err %v", in, len(recs), st, err)
		}
	}
}
