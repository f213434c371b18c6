// Package sesmail sends the customer e-mail with SES v2 SendEmail.
//
// SES has no idempotency token: a request that times out after SES
// accepted it cannot be told apart from one SES never saw. Exactly-once
// therefore rests on the notify.Ledger claim taken before sending, and this
// adapter retries only throttling answers (SES refused, nothing was sent),
// never timeouts or 5xx, which could double a message.
package sesmail

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"golang.org/x/time/rate"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/notify"
)

const charset = "UTF-8"

type api interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// Config holds defaults applied when the Email leaves them empty.
type Config struct {
	ConfigurationSet string
	ReplyTo          []string
	// MaxSendRate in messages per second; 0 asks GetAccount for the
	// account's quota (falling back to the sandbox rate if that fails).
	MaxSendRate float64
	// MaxAttempts per message for throttling answers; 0 means 5.
	MaxAttempts int
	// MaxBackoff between throttled attempts; 0 means 20s (SDK default).
	MaxBackoff time.Duration
}

// Mailer implements notify.Mailer.
type Mailer struct {
	api     api
	cfg     Config
	limiter *rate.Limiter
	retryer aws.Retryer
}

// New returns a Mailer on client.
func New(ctx context.Context, client *sesv2.Client, cfg Config) *Mailer {
	return newMailer(ctx, client, cfg)
}

func newMailer(ctx context.Context, a api, cfg Config) *Mailer {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.MaxSendRate <= 0 {
		cfg.MaxSendRate = accountRate(ctx, a)
	}
	burst := max(1, int(cfg.MaxSendRate))
	m := &Mailer{api: a, cfg: cfg, limiter: rate.NewLimiter(rate.Limit(cfg.MaxSendRate), burst)}
	m.retryer = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = cfg.MaxAttempts
		if cfg.MaxBackoff > 0 {
			o.MaxBackoff = cfg.MaxBackoff
		}
		o.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
			retry.RetryableHTTPStatusCode{Codes: map[int]struct{}{429: {}}},
		}
	})
	return m
}

func accountRate(ctx context.Context, a api) float64 {
	out, err := a.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil || out.SendQuota == nil || out.SendQuota.MaxSendRate <= 0 {
		slog.WarnContext(ctx, "unable to read SES send quota; using the sandbox rate",
			"rate", awslimits.SESSandboxMaxSendRate, "reason", reason(err))
		return awslimits.SESSandboxMaxSendRate
	}
	return out.SendQuota.MaxSendRate
}

func reason(err error) string {
	if err == nil {
		return "no quota in answer"
	}
	return awsx.Reason(err)
}

// Limit is the send rate the Mailer keeps to.
func (m *Mailer) Limit() rate.Limit { return m.limiter.Limit() }

// SendEmail implements notify.Mailer. A MessageRejected answer (sandbox
// recipient, unverified sender) wraps notify.ErrRejected.
func (m *Mailer) SendEmail(ctx context.Context, e notify.Email) (string, error) {
	in, err := m.input(e)
	if err != nil {
		return "", err
	}
	if err := m.limiter.Wait(ctx); err != nil {
		return "", fmt.Errorf("unable to wait for the SES send rate: %w", err)
	}
	out, err := m.api.SendEmail(ctx, in, func(o *sesv2.Options) { o.Retryer = m.retryer })
	if err != nil {
		return "", classify(err)
	}
	return aws.ToString(out.MessageId), nil
}

// classify is the one place SES errors leave this package.
func classify(err error) error {
	var rejected *types.MessageRejected
	var unverified *types.MailFromDomainNotVerifiedException
	if errors.As(err, &rejected) || errors.As(err, &unverified) {
		return fmt.Errorf("unable to send e-mail: %w: %w", notify.ErrRejected, err)
	}
	return fmt.Errorf("unable to send e-mail: %w", awsx.Classify(err))
}

func (m *Mailer) input(e notify.Email) (*sesv2.SendEmailInput, error) {
	from, err := Address(e.FromName, e.From)
	if err != nil {
		return nil, fmt.Errorf("unable to send e-mail: sender: %w", err)
	}
	to, err := addresses(e.To)
	if err != nil {
		return nil, err
	}
	cc, err := addresses(e.CC)
	if err != nil {
		return nil, err
	}
	if len(to) == 0 {
		return nil, errors.New("unable to send e-mail: no recipients")
	}
	if n := len(to) + len(cc); n > awslimits.SESMaxRecipients {
		return nil, fmt.Errorf("unable to send e-mail: %d recipients exceed the SES limit of %d", n, awslimits.SESMaxRecipients)
	}
	replyTo := e.ReplyTo
	if len(replyTo) == 0 {
		replyTo = m.cfg.ReplyTo
	}
	rt, err := addresses(replyTo)
	if err != nil {
		return nil, err
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: to, CcAddresses: cc},
		ReplyToAddresses: rt,
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(OneLine(e.Subject)), Charset: aws.String(charset)},
			Body: &types.Body{
				Html: &types.Content{Data: aws.String(e.HTML), Charset: aws.String(charset)},
				Text: &types.Content{Data: aws.String(e.Text), Charset: aws.String(charset)},
			},
		}},
	}
	if cs := cmp.Or(e.ConfigurationSet, m.cfg.ConfigurationSet); cs != "" {
		in.ConfigurationSetName = aws.String(cs)
	}
	names := make([]string, 0, len(e.Tags))
	for k := range e.Tags {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		in.EmailTags = append(in.EmailTags, types.MessageTag{Name: aws.String(k), Value: aws.String(e.Tags[k])})
	}
	return in, nil
}

// Address renders a mailbox for SES: a display name with non-ASCII text
// (Korean) becomes an RFC 2047 encoded-word, as SES requires of the
// address fields; ASCII names are quoted when needed.
func Address(name, addr string) (string, error) {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return "", fmt.Errorf("unable to parse address %q: %w", addr, err)
	}
	if name != "" {
		a.Name = OneLine(name)
	}
	return render(a), nil
}

// render leaves a nameless mailbox bare (net/mail would write "<addr>")
// and B-encodes non-ASCII names: for Hangul that is a third shorter than
// the Q-encoding net/mail may pick.
func render(a *mail.Address) string {
	angle := (&mail.Address{Address: a.Address}).String()
	switch {
	case a.Name == "":
		return strings.TrimSuffix(strings.TrimPrefix(angle, "<"), ">")
	case strings.ContainsFunc(a.Name, func(r rune) bool { return r >= utf8.RuneSelf }):
		return mime.BEncoding.Encode("utf-8", a.Name) + " " + angle
	default:
		return a.String()
	}
}

// addresses accepts "name <addr>" or bare addresses and re-renders them so
// display names are encoded.
func addresses(list []string) ([]string, error) {
	out := make([]string, 0, len(list))
	for _, s := range list {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("unable to send e-mail: address %q: %w", s, err)
		}
		a.Name = OneLine(a.Name)
		out = append(out, render(a))
	}
	return out, nil
}

// OneLine folds control characters (CR, LF, tabs...) to spaces so a value
// placed in a header can never start a new header line.
func OneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == ' '
	}), " ")
}
