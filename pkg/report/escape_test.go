package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		n       int
		want    string   // exact, when set
		absent  []string // substrings that must not survive
		present []string
	}{
		{name: "script tag", in: "<script>alert(1)</script>", want: `&lt;script&gt;alert\(1\)&lt;/script&gt;`},
		{name: "forged header", in: "curl/8.0\r\nSubject: forged", absent: []string{"\r", "\n"}, present: []string{`Subject\: forged`}},
		{name: "link", in: "[click](http://evil)", want: `\[click\]\(http\://evil\)`},
		{name: "image", in: "![x](http://evil)", want: `\!\[x\]\(http\://evil\)`},
		{name: "backticks", in: "``code``", want: "\\`\\`code\\`\\`"},
		{name: "table pipe", in: "a | b", want: `a \| b`},
		{name: "emphasis and heading", in: "# *bold* _it_ ~~s~~", want: `\# \*bold\* \_it\_ \~\~s\~\~`},
		{name: "intraword underscore kept", in: "AWS_ABUSE_DOS a_", want: `AWS_ABUSE_DOS a\_`},
		{name: "list marker at start", in: "- x - y", want: `\- x - y`},
		{name: "plus at start", in: "+ x", want: `\+ x`},
		{name: "ordered list at start", in: "1. x", want: `1\. x`},
		{name: "leading space trimmed", in: "    code block", want: "code block"},
		{name: "ids readable", in: "i-0abc ap-northeast-2", want: "i-0abc ap-northeast-2"},
		{name: "entity stays literal", in: "&lt;b&gt;", want: "&amp;lt;b&amp;gt;"},
		{name: "autolink www", in: "www.evil.com", want: `www\.evil\.com`},
		{name: "mention", in: "@admin", want: `\@admin`},
		{name: "backslash", in: `a\b`, want: `a\\b`},
		{name: "bidi override", in: "abc\u202Egpj.exe", absent: []string{"\u202E"}},
		{name: "line separator", in: "a\u2028b\u0085c", want: "a b c"},
		{name: "korean intact", in: "한국어 태그", want: "한국어 태그"},
		{name: "invalid utf8", in: "a\xffb", want: "a\uFFFDb"},
		{name: "clipped", in: "abcdefghij", n: 5, want: "abcd…"},
		{name: "clipped korean", in: "가나다라마바", n: 3, want: "가나…"},
		{name: "clip before escape", in: "<<<<<<", n: 3, want: "&lt;&lt;…"},
		{name: "no limit", in: strings.Repeat("x", 500), n: 0, want: strings.Repeat("x", 500)},
		{name: "secret key redacted", in: "key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY done", absent: []string{"wJalrXUtnFEMI"}, present: []string{`\[redacted\]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := EscapeMarkdown(tc.in, tc.n)
			if tc.want != "" && got != tc.want {
				t.Errorf("EscapeMarkdown(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("EscapeMarkdown(%q) = %q still contains %q", tc.in, got, a)
				}
			}
			for _, p := range tc.present {
				if !strings.Contains(got, p) {
					t.Errorf("EscapeMarkdown(%q) = %q lacks %q", tc.in, got, p)
				}
			}
			if strings.ContainsAny(got, "<>\r\n") {
				t.Errorf("EscapeMarkdown(%q) = %q contains raw <, >, CR or LF", tc.in, got)
			}
			if !utf8.ValidString(got) {
				t.Errorf("EscapeMarkdown(%q) = %q is not valid UTF-8", tc.in, got)
			}
		})
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"abcd", 1, "…"},
		{"", 3, ""},
		{"한글", 1, "…"},
		{"한글", 2, "한글"},
		{"abc", -1, "abc"},
	}
	for _, tc := range tests {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if tc.n > 0 && utf8.RuneCountInString(Clip(tc.in, tc.n)) > tc.n {
			t.Errorf("Clip(%q, %d) longer than %d runes", tc.in, tc.n, tc.n)
		}
	}
}

func TestMultiline(t *testing.T) {
	t.Parallel()
	got := Multiline("line one\r\nline\ttwo\rthree\x1b[31m", 0, 0)
	want := "line one\nline two\nthree [31m"
	if got != want {
		t.Errorf("Multiline = %q, want %q", got, want)
	}
}

func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"<script>", "a\r\nb", "[x](y)", "한글|`"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := EscapeMarkdown(s, n)
		if strings.ContainsAny(got, "<>\r\n\x00") || !utf8.ValidString(got) {
			t.Fatalf("EscapeMarkdown(%q, %d) = %q", s, n, got)
		}
	})
}

var benchText = "aws-cli/2.15.0 Python/3.11 <script>alert(1)</script> [click](http://evil.example) 한국어 태그 | a_b " + "\r\n"

func BenchmarkEscapeMarkdown(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		EscapeMarkdown(benchText, 200)
	}
}

func BenchmarkOneLine(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		OneLine(benchText, 200)
	}
}
