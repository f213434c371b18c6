package csvintake

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "csv", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

type wantGroup struct {
	value       string
	rows        int
	first, last string // RFC 3339, "" for none
	ports       []int
}

func lines(ps []Problem) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.Line)
	}
	return out
}

func TestParseFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		encoding  string
		separator string
		header    bool
		groups    []wantGroup
		rejected  []int
		notes     []int
	}{
		{
			file: "spreadsheet-utf16le.txt", encoding: EncUTF16LE, separator: "tab", header: true,
			groups: []wantGroup{
				{"203.0.113.10", 3, "2024-06-10T08:15:30Z", "2024-06-10T10:45:00Z", []int{25, 587}},
				{"198.51.100.77", 1, "2024-06-10T09:00:00Z", "2024-06-10T09:00:00Z", []int{22}},
				{"2001:db8:85a3::8a2e:370:7334", 1, "2024-06-10T09:05:00Z", "2024-06-10T09:05:00Z", []int{443}},
			},
		},
		{
			// KST, "+0900", epoch seconds and GMT in one column; a quoted
			// three-line excerpt; a ';' inside quotes.
			file: "korean-semicolon.csv", encoding: EncUTF8, separator: ";", header: true,
			groups: []wantGroup{
				{"203.0.113.20", 3, "2024-06-10T08:20:00Z", "2024-06-10T09:30:00Z", []int{25, 465}},
				{"198.51.100.77", 1, "2024-06-10T09:00:00Z", "2024-06-10T09:00:00Z", []int{25}},
			},
		},
		{
			file: "korean-cp949.csv", encoding: EncEUCKR, separator: ",", header: true,
			groups: []wantGroup{{"203.0.113.20", 2, "2024-06-13T10:00:00Z", "2024-06-13T10:05:00Z", []int{25}}},
		},
		{
			// Epoch ms, defanged, bracketed IPv6, address:port, no header.
			file: "noheader.csv", encoding: EncUTF8, separator: ",",
			groups: []wantGroup{
				{"203.0.113.10", 2, "2024-06-10T08:00:00Z", "2024-06-10T08:01:00Z", []int{25}},
				{"192.0.2.200", 1, "2024-06-10T01:00:00Z", "2024-06-10T01:00:00Z", []int{4444}},
				{"2001:db8::5", 1, "2024-06-09T23:30:00Z", "2024-06-09T23:30:00Z", []int{22}},
			},
		},
		{
			file: "bad-rows.csv", encoding: EncUTF8BOM, separator: ",", header: true,
			groups:   []wantGroup{{"203.0.113.10", 3, "2024-06-11T00:00:00Z", "2024-06-11T00:00:05Z", []int{25}}},
			rejected: []int{1, 4, 5, 6, 9},
			notes:    []int{7, 8},
		},
		{
			file: "instances-arns.csv", encoding: EncUTF8, separator: ",", header: true,
			groups: []wantGroup{
				{"i-0a1b2c3d4e5f60718", 2, "2024-06-12T01:00:00Z", "2024-06-12T02:00:00Z", nil},
				{"arn:aws:s3:::leaky-bucket-example", 1, "2024-06-12T01:03:00Z", "2024-06-12T01:03:00Z", nil},
				{"i-0123456789abcdef0", 1, "2024-06-12T01:02:00Z", "2024-06-12T01:02:00Z", nil},
				{"i-0fedcba9876543210", 1, "2024-06-12T01:01:00Z", "2024-06-12T01:01:00Z", nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if p.Encoding != tt.encoding || p.Separator != tt.separator || (p.Header != nil) != tt.header {
				t.Errorf("encoding %q separator %q header %v, want %q %q %v", p.Encoding, p.Separator, p.Header, tt.encoding, tt.separator, tt.header)
			}
			if got := lines(p.Rejected); !slices.Equal(got, tt.rejected) {
				t.Errorf("rejected lines %v, want %v (%v)", got, tt.rejected, p.Rejected)
			}
			if got := lines(p.Notes); !slices.Equal(got, tt.notes) {
				t.Errorf("note lines %v, want %v (%v)", got, tt.notes, p.Notes)
			}
			gs := GroupRows(p.Rows)
			if len(gs) != len(tt.groups) {
				t.Fatalf("%d groups, want %d: %+v", len(gs), len(tt.groups), gs)
			}
			for i, w := range tt.groups {
				g := gs[i]
				if g.Resource.Value != w.value || g.Rows != w.rows || !slices.Equal(g.Ports, w.ports) {
					t.Errorf("group %d = %s rows %d ports %v, want %s rows %d ports %v", i, g.Resource.Value, g.Rows, g.Ports, w.value, w.rows, w.ports)
				}
				if !g.FirstSeen.Equal(ts(w.first)) || !g.LastSeen.Equal(ts(w.last)) {
					t.Errorf("%s seen %v..%v, want %s..%s", w.value, g.FirstSeen, g.LastSeen, w.first, w.last)
				}
			}
		})
	}
}

func TestParseKeepsMultilineExcerpt(t *testing.T) {
	t.Parallel()
	p, err := Parse(readTestdata(t, "korean-semicolon.csv"))
	if err != nil {
		t.Fatal(err)
	}
	first := p.Rows[0]
	if first.Line != 2 || strings.Count(first.Details, "\n") != 2 || !strings.Contains(first.Details, "Subject:") {
		t.Errorf("first row line %d details %q: want line 2 with the three-line excerpt", first.Line, first.Details)
	}
	// The record after the three-line excerpt starts on line 5.
	if p.Rows[1].Line != 5 {
		t.Errorf("second row on line %d, want 5", p.Rows[1].Line)
	}
}

func TestParseEncodings(t *testing.T) {
	t.Parallel()
	const text = "ip;시간\n203.0.113.7;2024-06-10T00:00:00Z\n"
	u16 := func(bigEndian, bom bool) []byte {
		var b bytes.Buffer
		units := utf16.Encode([]rune(text))
		if bom {
			units = append([]uint16{0xFEFF}, units...)
		}
		for _, u := range units {
			if bigEndian {
				b.Write([]byte{byte(u >> 8), byte(u)})
			} else {
				b.Write([]byte{byte(u), byte(u >> 8)})
			}
		}
		return b.Bytes()
	}
	tests := []struct {
		name string
		in   []byte
		enc  string
	}{
		{"utf-8", []byte(text), EncUTF8},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, text...), EncUTF8BOM},
		{"utf-16le bom", u16(false, true), EncUTF16LE},
		{"utf-16be bom", u16(true, true), EncUTF16BE},
		{"utf-16le no bom", u16(false, false), EncUTF16LE},
		{"utf-16be no bom", u16(true, false), EncUTF16BE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Encoding != tt.enc || len(p.Rows) != 1 || p.Rows[0].Resource.Value != "203.0.113.7" || !p.Rows[0].Time.Equal(ts("2024-06-10T00:00:00Z")) {
				t.Errorf("encoding %q rows %+v, want %q and one row", p.Encoding, p.Rows, tt.enc)
			}
		})
	}
}

func TestParseResource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		kind Kind
		val  string
		port int
		ok   bool
	}{
		{" 203.0.113.5 ", KindIP, "203.0.113.5", 0, true},
		{"203.0.113.5:25", KindIP, "203.0.113.5", 25, true},
		{"203[.]0[.]113[.]5", KindIP, "203.0.113.5", 0, true},
		{"::ffff:203.0.113.5", KindIP, "203.0.113.5", 0, true},
		{"2001:DB8::1", KindIP, "2001:db8::1", 0, true},
		{"[2001:db8::1]:443", KindIP, "2001:db8::1", 443, true},
		{"[2001:db8::1]", KindIP, "2001:db8::1", 0, true},
		{"I-0A1B2C3D", KindInstance, "i-0a1b2c3d", 0, true},
		{"arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0", KindInstance, "i-0123456789abcdef0", 0, true},
		{"arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-0123", KindARN, "arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-0123", 0, true},
		{"10.1.2.3", "", "", 0, false},
		{"100.64.1.1", "", "", 0, false},
		{"fd00::1", "", "", 0, false},
		{"127.0.0.1", "", "", 0, false},
		{"224.0.0.1", "", "", 0, false},
		{"0.0.0.0", "", "", 0, false},
		{"fe80::1%eth0", "", "", 0, false},
		{"example.com", "", "", 0, false},
		{"arn:aws:", "", "", 0, false},
		{"", "", "", 0, false},
	}
	for _, tt := range tests {
		r, port, _, ok := parseResource(tt.in)
		if ok != tt.ok || r.Kind != tt.kind || r.Value != tt.val || port != tt.port {
			t.Errorf("parseResource(%q) = %+v port %d ok %v, want %s %q port %d ok %v", tt.in, r, port, ok, tt.kind, tt.val, tt.port, tt.ok)
		}
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // RFC 3339 UTC; "" means an error
	}{
		{"2024-06-10T08:15:30Z", "2024-06-10T08:15:30Z"},
		{"2024-06-10T08:15:30.250+09:00", "2024-06-09T23:15:30.25Z"},
		{"2024-06-10T08:15:30+0900", "2024-06-09T23:15:30Z"},
		{"2024-06-10T08:15:30", "2024-06-10T08:15:30Z"},
		{"2024-06-10 08:15:30", "2024-06-10T08:15:30Z"},
		{"2024-06-10 08:15:30 +0900", "2024-06-09T23:15:30Z"},
		{"2024-06-10 08:15", "2024-06-10T08:15:00Z"},
		{"2024/06/10 08:15:30", "2024-06-10T08:15:30Z"},
		{"2024-06-10", "2024-06-10T00:00:00Z"},
		{"Mon, 10 Jun 2024 08:15:30 GMT", "2024-06-10T08:15:30Z"},
		{"Mon, 10 Jun 2024 17:15:30 KST", "2024-06-10T08:15:30Z"},
		{"Mon, 10 Jun 2024 01:15:30 PDT", "2024-06-10T08:15:30Z"},
		{"Mon, 10 Jun 2024 08:15:30 +0000", "2024-06-10T08:15:30Z"},
		{"2024-06-10 17:15:30 KST", "2024-06-10T08:15:30Z"},
		{"1718007330", "2024-06-10T08:15:30Z"},
		{"1718007330.5", "2024-06-10T08:15:30.5Z"},
		{"1718007330000", "2024-06-10T08:15:30Z"},
		{"Mon, 10 Jun 2024 08:15:30 CST", ""}, // ambiguous: China or US Central
		{"Mon, 10 Jun 2024 08:15:30 XYZ", ""},
		{"25", ""},
		{"99999999999999", ""},
		{"yesterday", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseTime(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, tt.want)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v UTC", tt.in, got, err, want)
		}
	}
}

func TestParsePort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		port  int
		proto string
		ok    bool
	}{
		{"25", 25, "", true}, {"25/tcp", 25, "tcp", true}, {"UDP/53", 53, "udp", true},
		{"65535", 65535, "", true}, {"65536", 0, "", false}, {"-1", 0, "", false}, {"smtp", 0, "", false}, {"+25", 0, "", false},
	}
	for _, tt := range tests {
		p, proto, err := parsePort(tt.in)
		if (err == nil) != tt.ok || p != tt.port || proto != tt.proto {
			t.Errorf("parsePort(%q) = %d %q %v, want %d %q ok %v", tt.in, p, proto, err, tt.port, tt.proto, tt.ok)
		}
	}
}

func TestHeaderRecognition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		header []string
		value  string
	}{
		{"english order shuffled", "Log,Port,Source IP,Date\nhello,25,203.0.113.9,2024-06-10\n",
			[]string{"details", "port", "resource", "time"}, "203.0.113.9"},
		{"source ip beats resource", "Resource,Source_IP\ni-0a1b2c3d,203.0.113.9\n",
			[]string{"", "resource"}, "203.0.113.9"},
		{"korean", "내용\t프로토콜\t포트\t시간\tIP 주소\nx\tTCP\t25\t2024-06-10\t203.0.113.9\n",
			[]string{"details", "protocol", "port", "time", "resource"}, "203.0.113.9"},
		{"header decides the separator", "ip,time,log\n203.0.113.9,2024-06-10,a;b,,\n",
			[]string{"resource", "time", "details"}, "203.0.113.9"},
		{"no resource column: found by content", "time,hostname,log\n2024-06-10,203.0.113.9,x\n",
			[]string{"time", "", "details"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) != 1 || p.Rows[0].Resource.Value != tt.value {
				t.Fatalf("rows %+v rejected %v, want one row for %s", p.Rows, p.Rejected, tt.value)
			}
			if !slices.Equal(p.Header, tt.header) {
				t.Errorf("header %q, want %q", p.Header, tt.header)
			}
		})
	}
}

func TestParseRejectsNonText(t *testing.T) {
	t.Parallel()
	for _, in := range [][]byte{nil, []byte("  \n\n"), make([]byte, MaxBytes+1)} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%d bytes) succeeded, want an error", len(in))
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"spreadsheet-utf16le.txt", "korean-semicolon.csv", "noheader.csv", "bad-rows.csv", "instances-arns.csv", "korean-cp949.csv"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("\"unterminated,203.0.113.1\n\"\"\n"))
	f.Add(readTestdata(f, "unbalanced-quote.csv"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		last := 0
		for _, r := range p.Rows {
			if r.Resource.Value == "" || r.Line < 1 {
				t.Fatalf("row without resource or line: %+v", r)
			}
			// Splits at unbalanced quotes must never read a line twice.
			if r.Line <= last {
				t.Fatalf("row on line %d after a row on line %d", r.Line, last)
			}
			last = r.Line
		}
		_ = GroupRows(p.Rows)
	})
}

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want rune
	}{
		// Consistent under ';' (excerpts) but the header says ','.
		{"header wins", "ip,time,log\n1,2,a;b,,\n1,2,a;b,\n1,2,a;b,,,\n", ','},
		{"no header: most consistent", "203.0.113.1;x,y;z\n203.0.113.2;x;z\n203.0.113.3;x,y,w;z\n", ';'},
		{"tabs", "a\tb\tc\n1\t2\t3\n", '\t'},
		{"one column", "203.0.113.1\n203.0.113.2\n", ','},
		{"quoted separators ignored", "\"a;b;c\",d\n\"e;f;g\",h\n", ','},
	}
	for _, tt := range tests {
		if got := sniff([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: sniff = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestParseUnbalancedQuote: a quote nobody closed swallows no row. The
// swallowing record is read up to the first line that looks like a row,
// the rest of the file from there, and a note names the quote's line;
// quoted multi-line excerpts still read as one cell.
func TestParseUnbalancedQuote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		rows    []int    // lines of the rows kept
		quotes  []int    // lines of unbalanced-quote notes
		details []string // details of the rows, in order; nil: not checked
	}{
		{
			name: "review repro",
			in:   "ip,date,port,log\n198.51.100.77,2025-02-10T01:00:00Z,25,\"unterminated quote\n203.0.113.10,2025-02-10T01:05:00Z,25,ok\n",
			rows: []int{2, 3}, quotes: []int{2}, details: []string{"unterminated quote", "ok"},
		},
		{
			name: "every row unbalanced",
			in:   "ip,log\n203.0.113.1,\"a\n203.0.113.2,\"b\n203.0.113.3,\"c\n",
			rows: []int{2, 3, 4}, quotes: []int{2, 3, 4}, details: []string{"a", "b", "c"},
		},
		{
			name: "log lines kept with the row that opened the quote",
			in:   "ip,log\n203.0.113.1,\"first\nsecond, no address\n203.0.113.2,next\n",
			rows: []int{2, 4}, quotes: []int{2}, details: []string{"first\nsecond, no address", "next"},
		},
		{
			name: "a later stray quote would have closed it",
			in:   "ip,log\n203.0.113.1,\"open\n203.0.113.2,x\n203.0.113.3,\"closed\"\n203.0.113.4,y\n",
			rows: []int{2, 3, 4, 5}, quotes: []int{2}, details: []string{"open", "x", "closed", "y"},
		},
		{
			name: "runs to the end on one line",
			in:   "ip,log\n203.0.113.1,ok\n203.0.113.2,\"oops\n",
			rows: []int{2, 3}, quotes: []int{3}, details: []string{"ok", "oops"},
		},
		{
			name: "runs to the end over lines that are not rows",
			in:   "ip,log\n203.0.113.1,\"oops\nmore log\n",
			rows: []int{2}, quotes: []int{2}, details: []string{"oops\nmore log"},
		},
		{
			name: "no header",
			in:   "203.0.113.1,25,\"oops\n198.51.100.77,22,fine\n",
			rows: []int{1, 2}, quotes: []int{1}, details: []string{"oops", "fine"},
		},
		{
			name: "semicolons and CRLF",
			in:   "ip;log\r\n203.0.113.1;\"oops\r\n\r\n203.0.113.2;fine\r\n",
			rows: []int{2, 4}, quotes: []int{2}, details: []string{"oops", "fine"},
		},
		{
			name: "quoted multi-line excerpt with an address inside",
			in:   "ip,log\n203.0.113.1,\"Received: from x (203.0.113.9)\nfrom 203.0.113.9, port 25\"\n203.0.113.2,next\n",
			rows: []int{2, 4}, details: []string{"Received: from x (203.0.113.9)\nfrom 203.0.113.9, port 25", "next"},
		},
		{
			name: "quote inside an unquoted cell is text",
			in:   "ip,log\n203.0.113.1,say \"hi\n203.0.113.2,next\n",
			rows: []int{2, 3}, details: []string{`say "hi`, "next"},
		},
		{
			name: "escaped quotes in a closed cell",
			in:   "ip,log\n203.0.113.1,\"he said \"\"stop\"\"\"\n203.0.113.2,next\n",
			rows: []int{2, 3}, details: []string{`he said "stop"`, "next"},
		},
		{
			name: "testdata file",
			in:   string(readTestdata(t, "unbalanced-quote.csv")),
			rows: []int{2, 3, 4, 6, 8, 9}, quotes: []int{2, 6},
			details: []string{
				"unterminated quote", "ok", "legit two-line excerpt\nReceived: from mail.example (203.0.113.20)",
				"second unbalanced, with \"escaped\" quotes\nsecond line of its log", "a stray quote", "last row",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var rows []int
			var details []string
			for _, r := range p.Rows {
				rows = append(rows, r.Line)
				details = append(details, r.Details)
			}
			if !slices.Equal(rows, tt.rows) || len(p.Rejected) != 0 {
				t.Errorf("rows on lines %v, rejected %v; want lines %v and none rejected", rows, p.Rejected, tt.rows)
			}
			if tt.details != nil && !slices.Equal(details, tt.details) {
				t.Errorf("details %q, want %q", details, tt.details)
			}
			var quotes []int
			for _, n := range p.Notes {
				if n.Kind != ProblemQuote {
					continue
				}
				quotes = append(quotes, n.Line)
				if want := fmt.Sprintf("unbalanced quote at line %d", n.Line); !strings.HasPrefix(n.Reason, want) {
					t.Errorf("note %q does not start with %q", n.Reason, want)
				}
			}
			if !slices.Equal(quotes, tt.quotes) {
				t.Errorf("unbalanced quotes noted on lines %v, want %v (%v)", quotes, tt.quotes, p.Notes)
			}
		})
	}
}

// TestParseManyUnbalancedQuotes: every row opening a quote still gives
// every row back, and each split reads only up to the next row rather
// than to the end of the file again.
func TestParseManyUnbalancedQuotes(t *testing.T) {
	t.Parallel()
	const n = 20_000
	var b strings.Builder
	b.WriteString("ip,port,log\n")
	for i := range n {
		fmt.Fprintf(&b, "203.0.113.%d,25,\"open %d\n", i%250+1, i)
	}
	p, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != n || len(p.Notes) != n || p.Rows[n-1].Line != n+1 || p.Rows[n-1].Details != fmt.Sprintf("open %d", n-1) {
		t.Errorf("%d rows, %d notes, last %+v; want %d of each, last on line %d", len(p.Rows), len(p.Notes), p.Rows[len(p.Rows)-1], n, n+1)
	}
}
