// Package snsalert publishes the on-call alert to an SNS topic, enforcing
// SNS's rules itself so a hostile or merely Korean subject never makes
// Publish fail: the subject is folded to printable ASCII under 100
// characters, the message is cut to the topic's size limit with a pointer
// to the full report, and the filter attributes are sent as Strings.
package snsalert

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/notify"
)

type api interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Config names the topic and its size limit.
type Config struct {
	TopicArn string
	// MaxBytes is the topic's MaximumMessageSize; 0 means the SNS default
	// (256 KiB). Message and attributes together must fit.
	MaxBytes int
}

// Alerter implements notify.Alerter.
type Alerter struct {
	api api
	cfg Config
}

// New returns an Alerter publishing to cfg.TopicArn.
func New(client *sns.Client, cfg Config) *Alerter {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = awslimits.SNSMessageMaxBytes
	}
	return &Alerter{api: client, cfg: cfg}
}

// Publish implements notify.Alerter.
func (a *Alerter) Publish(ctx context.Context, al notify.Alert) (string, error) {
	attrs, attrBytes := Attributes(al.Attributes)
	pointer := al.Attributes[notify.AlertReportAttribute]
	if pointer == "" {
		pointer = fmt.Sprintf("case %s revision %s", al.Attributes["caseId"], al.Attributes["revision"])
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(a.cfg.TopicArn),
		Subject:           aws.String(Subject(al.Subject)),
		Message:           aws.String(Truncate(al.Message, a.cfg.MaxBytes-attrBytes, pointer)),
		MessageAttributes: attrs,
	}
	out, err := a.api.Publish(ctx, in)
	if err != nil {
		return "", fmt.Errorf("unable to publish alert: %w", awsx.Classify(err))
	}
	return aws.ToString(out.MessageId), nil
}

const fallbackSubject = "abusedesk alert"

// Subject makes s acceptable to SNS: Hangul is romanized (Revised
// Romanization, syllable by syllable), other non-ASCII and control
// characters are dropped, whitespace runs become one space, and the result
// is cut below 100 characters. It never returns an empty subject.
func Subject(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x21 && r <= 0x7e:
			b.WriteRune(r)
		case r >= hangulFirst && r <= hangulLast:
			b.WriteString(romanize(r))
		case r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == 0x3000:
			b.WriteByte(' ')
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > awslimits.SNSSubjectMaxChars {
		out = strings.TrimRight(out[:awslimits.SNSSubjectMaxChars-3], " ") + "..."
	}
	if out == "" {
		return fallbackSubject
	}
	return out
}

// Truncate returns msg (made valid UTF-8) if it fits in limit bytes;
// otherwise the longest prefix ending on a character boundary that leaves
// room for a note saying how much was cut and where the full report is.
func Truncate(msg string, limit int, pointer string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= limit {
		return msg
	}
	pointer = strings.Join(strings.Fields(pointer), " ")
	note := func(kept int) string {
		return fmt.Sprintf("\n\n[truncated: %d of %d bytes shown; full report: %s]", kept, len(msg), pointer)
	}
	// The note for the full length is at least as long as the final one.
	cut := max(0, limit-len(note(len(msg))))
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + note(cut)
}

var attrName = regexp.MustCompile(`^[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,255}$`)

// Attributes turns alert attributes into SNS String attributes for
// subscription filter policies, and returns the bytes SNS counts for them
// (name, type and value) against the message size. Names SNS would refuse
// and empty values are skipped; at most 10 are sent, by name order.
func Attributes(in map[string]string) (map[string]types.MessageAttributeValue, int) {
	names := make([]string, 0, len(in))
	for k, v := range in {
		lower := strings.ToLower(k)
		if v == "" || !attrName.MatchString(k) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasSuffix(k, ".") || strings.Contains(k, "..") {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > awslimits.SNSMaxMessageAttributes {
		names = names[:awslimits.SNSMaxMessageAttributes]
	}
	if len(names) == 0 {
		return nil, 0
	}
	out := make(map[string]types.MessageAttributeValue, len(names))
	size := 0
	for _, k := range names {
		v := strings.ToValidUTF8(in[k], "\uFFFD")
		out[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		size += len(k) + len("String") + len(v)
	}
	return out, size
}
