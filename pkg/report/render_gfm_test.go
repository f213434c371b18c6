package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// gfm renders like a permissive viewer: GFM tables, strikethrough,
// autolinks of bare URLs and domains, and raw HTML passed through.
var gfm = goldmark.New(
	goldmark.WithExtensions(extension.GFM, extension.Linkify, extension.Footnote),
	goldmark.WithRendererOptions(html.WithUnsafe()),
)

func renderGFM(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	if err := gfm.Convert([]byte(md), &out); err != nil {
		t.Fatalf("goldmark: %v", err)
	}
	return out.String()
}

// Everything the wrappers below produce; any other tag came from the text.
var wrapperTags = regexp.MustCompile(`</?(p|ul|li|table|thead|tbody|tr|th|td)>|<td style="[^"]*">|<th style="[^"]*">`)

// A real Markdown renderer must turn escaped hostile text into text only,
// wherever the report puts it: a paragraph, a list item, a table cell, a
// quoted line.
func TestEscapeMarkdownRendersInert(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"<script>alert(1)</script>",
		"aws-cli/2.0\r\nSubject: forged",
		"[click](http://evil)",
		"![x](http://evil/x.png)",
		"<http://evil>",
		"http://evil.example/path and www.evil.example and evil.example",
		"mail me at attacker@evil.example",
		"`code` ``more``",
		"a | b | c",
		"*em* **strong** _u_ __uu__ ~~del~~",
		"# heading",
		"- item",
		"1. item",
		"> quote",
		"[^1]: footnote",
		"&lt;b&gt;entity&lt;/b&gt; &#60;i&#62;",
		"<img src=x onerror=alert(1)>",
		"\\[still\\](escaped)",
		"[ref]: http://evil",
		"<!-- comment -->",
		"    indented code",
		"---",
	}
	for _, h := range hostile {
		e := EscapeMarkdown(h, 0)
		for _, md := range []string{
			e + "\n",
			"- " + e + "\n",
			"> " + e + "\n",
			"| h1 | h2 |\n|---|---|\n| " + e + " | x |\n",
		} {
			out := renderGFM(t, md)
			if rest := wrapperTags.ReplaceAllString(out, ""); strings.Contains(rest, "<") && !strings.HasPrefix(md, "> ") {
				t.Errorf("EscapeMarkdown(%q) in %q rendered markup:\n%s", h, md, out)
			}
			if strings.HasPrefix(md, "> ") {
				rest := strings.NewReplacer("<blockquote>", "", "</blockquote>", "").Replace(wrapperTags.ReplaceAllString(out, ""))
				if strings.Contains(rest, "<") {
					t.Errorf("EscapeMarkdown(%q) in a quote rendered markup:\n%s", h, out)
				}
			}
			if strings.HasPrefix(md, "| ") && strings.Count(out, "<td>") != 2 {
				t.Errorf("EscapeMarkdown(%q) changed the table's cell count:\n%s", h, out)
			}
		}
	}
}

// The whole report, rendered: attacker text yields no links, images,
// scripts or code, and the only links are none at all (the report has no
// links of its own).
func TestMarkdownRendersInert(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "ko"} {
		out := renderGFM(t, string(Markdown(testReport(), lang)))
		for _, bad := range []string{"<script", "<img", "<a ", "<code", "<em>", "<del>", "<b>"} {
			if strings.Contains(out, bad) {
				t.Errorf("rendered %s report contains %q", lang, bad)
			}
		}
		if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("rendered %s report does not show the hostile tag as text", lang)
		}
	}
}
