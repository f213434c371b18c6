package report

import (
	"strings"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/finding"
)

// hostile is attacker-controlled text as it reaches a report: an instance
// tag, a user agent with a forged header line, and Markdown injection.
const (
	hostileTag  = "<script>alert(1)</script>"
	hostileUA   = "aws-cli/2.0\r\nSubject: forged"
	hostileLink = "[click](http://evil) ![x](http://evil) `rm -rf` a|b"
)

func testReport() *Report {
	updated := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	return &Report{
		Schema: Schema, CaseID: "123456789012-0011223344556677", Revision: 2,
		Generated: updated.Add(5 * time.Minute), Account: "123456789012", Customer: "주식회사 예시",
		Language: "ko", Service: "EC2", Code: "AWS_ABUSE_PORT_SCANNING_REPORT", Category: "port-scanning",
		Status: "open", Region: "ap-northeast-2",
		EventArn:    "arn:aws:health:global::event/EC2/AWS_ABUSE_PORT_SCANNING_REPORT/AWS_ABUSE_PORT_SCANNING_REPORT_abc",
		Description: "Reported activity from 203.0.113.7.\n<b>Please respond</b>",
		Updated:     updated, RespondBy: updated.Add(ResponseWindow),
		Entities: []cases.Entity{
			{Value: "i-0aaaaaaaaaaaaaaa1", Revision: 1},
			{Value: "i-0bbbbbbbbbbbbbbb2", Revision: 2},
		},
		NewEntities: []string{"i-0bbbbbbbbbbbbbbb2"},
		Access:      "assumed-role",
		Risk:        finding.Critical,
		Findings: []finding.Finding{
			{ID: "ec2.low-thing", Severity: finding.Low, Title: "LOW-FINDING-TITLE", Resource: "i-0aaaaaaaaaaaaaaa1"},
			{ID: "ec2.tag", Severity: finding.High, Title: "Suspicious instance tag " + hostileTag, Resource: "i-0aaaaaaaaaaaaaaa1", Reason: hostileLink},
			{ID: "ct.ua", Severity: finding.Critical, Title: "Unusual user agent", Resource: "AKIAIOSFODNN7EXAMPLE", Reason: "user agent " + hostileUA},
			{ID: "ec2.medium", Severity: finding.Medium, Title: "MEDIUM-FINDING-TITLE", Resource: "sg-0123"},
		},
		Timeline: []cloudtrail.TimelineEntry{
			{Time: updated.Add(-time.Hour), Actor: "attacker|user", SourceIP: "198.51.100.9", UserAgent: hostileUA, Event: "CreateUser", Target: "backdoor", Severity: finding.High},
			{Time: updated.Add(-2 * time.Hour), Actor: "someone", Event: "LOW-TIMELINE-EVENT", Severity: finding.Low},
		},
		Raw:       evidence.Bundle{Gaps: []evidence.Gap{{Lookup: "iam", Target: "user/x", Reason: "AccessDenied: not authorized"}}},
		Warnings:  []string{"contact fell back to default"},
		Locations: map[string]string{"json": "s3://reports/123456789012-0011223344556677/2/report.json", "markdown": "s3://reports/x/2/report.ko.md"},
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang    string
		present []string
	}{
		{"en", []string{
			"## Overview", "## High-risk findings", "## What to do now: Port scanning from your resources",
			"## Timeline of high-risk activity", "## Gaps and warnings", "## Full details",
			"2026-05-02 12:00 UTC", "i-0bbbbbbbbbbbbbbb2 — newly reported", "i-0aaaaaaaaaaaaaaa1 — already reported",
			"2 lower-severity findings", "s3\\://reports/123456789012-0011223344556677/2/report\\.json",
			"Unusual user agent", "CRITICAL", "contact fell back to default",
		}},
		{"ko", []string{
			"## 개요", "## 주요 위험 항목", "## 지금 하셔야 할 조치: 고객님 리소스에서 발생한 포트 스캔",
			"## 위험 활동 타임라인", "## 확인하지 못한 항목 및 경고", "## 전체 내용",
			"2026-05-02 21:00 KST (2026-05-02 12:00 UTC)", "주식회사 예시", "이번에 새로 신고됨", "그 밖의 항목 2건", "심각",
		}},
		{"fr", []string{"## Overview"}},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			md := string(Markdown(testReport(), tc.lang))
			for _, p := range tc.present {
				if !strings.Contains(md, p) {
					t.Errorf("Markdown(%s) lacks %q\n%s", tc.lang, p, md)
				}
			}
			for _, a := range []string{
				"MEDIUM-FINDING-TITLE", "LOW-FINDING-TITLE", "LOW-TIMELINE-EVENT", // body keeps high and critical only
				"<script", "<b>", "](http", "[click]", "![x]", "\nSubject: forged", "attacker|user",
			} {
				if strings.Contains(md, a) {
					t.Errorf("Markdown(%s) contains %q", tc.lang, a)
				}
			}
			if unescaped(md, '`') > 0 || unescaped(md, '[') > 0 {
				t.Errorf("Markdown(%s) has an unescaped backtick or bracket: attacker text became markup", tc.lang)
			}
			for i, line := range strings.Split(md, "\n") {
				if strings.HasPrefix(line, "Subject") {
					t.Errorf("Markdown(%s) line %d is forged: %q", tc.lang, i+1, line)
				}
				// A table row must have exactly its column count of
				// unescaped pipes, or attacker text split a cell.
				if strings.HasPrefix(line, "| ") {
					if got := unescaped(line, '|'); got != 5 && got != 9 {
						t.Errorf("Markdown(%s) table row has %d cell separators: %q", tc.lang, got, line)
					}
				}
			}
		})
	}
}

func TestMarkdownEmpty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, want string
	}{
		{"en", "No high or critical findings."},
		{"ko", "위험도 높음 이상의 항목은 없습니다."},
	}
	for _, tc := range tests {
		md := string(Markdown(&Report{Category: "nonsense", Findings: []finding.Finding{{Severity: finding.Medium, Title: "m"}}}, tc.lang))
		for _, w := range []string{tc.want, Guidance("unknown", tc.lang).Title, "report.json"} {
			if !strings.Contains(md, w) {
				t.Errorf("Markdown(empty, %s) lacks %q:\n%s", tc.lang, w, md)
			}
		}
		if strings.Contains(md, "| m |") {
			t.Errorf("Markdown(empty, %s) shows a medium finding", tc.lang)
		}
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 31, 20, 30, 0, 0, time.UTC)
	tests := []struct {
		t           time.Time
		lang, want  string
		short, shrt string
	}{
		{at, "en", "2026-12-31 20:30 UTC", "", "2026-12-31 20:30 UTC"},
		{at, "ko", "2027-01-01 05:30 KST (2026-12-31 20:30 UTC)", "", "2027-01-01 05:30 KST"},
		{at.In(time.FixedZone("X", -5*3600)), "en", "2026-12-31 20:30 UTC", "", "2026-12-31 20:30 UTC"},
		{time.Time{}, "en", "not stated", "", "not stated"},
		{time.Time{}, "ko", "명시되지 않음", "", "명시되지 않음"},
	}
	for _, tc := range tests {
		if got := FormatTime(tc.t, tc.lang); got != tc.want {
			t.Errorf("FormatTime(%v, %s) = %q, want %q", tc.t, tc.lang, got, tc.want)
		}
		if got := FormatTimeShort(tc.t, tc.lang); got != tc.shrt {
			t.Errorf("FormatTimeShort(%v, %s) = %q, want %q", tc.t, tc.lang, got, tc.shrt)
		}
	}
}

func unescaped(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case c:
			n++
		}
	}
	return n
}

func BenchmarkMarkdown(b *testing.B) {
	r := testReport()
	for i := range 200 {
		r.Findings = append(r.Findings, finding.Finding{ID: "x", Severity: finding.Severity(i % 5), Title: hostileLink, Resource: hostileTag, Reason: hostileUA})
	}
	b.ReportAllocs()
	for b.Loop() {
		Markdown(r, "ko")
	}
}
