package sesaws

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

// The SDK methods this package calls, and nothing more, so tests and the
// demo can stand in for AWS.
type (
	sendStatisticsAPI interface {
		GetSendStatistics(ctx context.Context, in *ses.GetSendStatisticsInput, optFns ...func(*ses.Options)) (*ses.GetSendStatisticsOutput, error)
	}
	accountAPI interface {
		GetAccount(ctx context.Context, in *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
	}
	metricDataAPI interface {
		GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	}
)

type regionClients struct {
	stats   sendStatisticsAPI
	account accountAPI
	metrics metricDataAPI
}

// Reader reads SES reputation for one account (one set of credentials) in
// any region. It is safe for concurrent use.
type Reader struct {
	cfg  aws.Config
	opts options

	mu      sync.Mutex
	clients map[string]regionClients
}

type options struct {
	cloudWatch  bool
	account     string
	limiters    *Limiters
	maxAttempts int
	backoff     retry.BackoffDelayer
}

// Option configures a Reader.
type Option func(*options)

// WithCloudWatch also reads the AWS/SES Reputation.BounceRate and
// Reputation.ComplaintRate metrics (needs cloudwatch:GetMetricData).
func WithCloudWatch() Option { return func(o *options) { o.cloudWatch = true } }

// WithAccount names the account the credentials belong to, so every Reader
// for that account shares one GetSendStatistics limiter per region however
// often its role credentials rotate. Without it the access key ID is used.
func WithAccount(id string) Option { return func(o *options) { o.account = id } }

// WithLimiters replaces the process-wide limiter registry (tests, or a
// caller that wants its own budget).
func WithLimiters(l *Limiters) Option { return func(o *options) { o.limiters = l } }

// WithMaxAttempts caps the SDK retryer's attempts per call (default: the
// SDK's adaptive-mode default).
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// withBackoff lets tests retry without sleeping.
func withBackoff(b retry.BackoffDelayer) Option { return func(o *options) { o.backoff = b } }

// NewReader returns a Reader using cfg's credentials; cfg's region is
// ignored because every call names its region.
func NewReader(cfg aws.Config, opts ...Option) *Reader {
	r := &Reader{cfg: cfg.Copy(), clients: map[string]regionClients{}}
	r.opts.limiters = defaultLimiters
	for _, o := range opts {
		o(&r.opts)
	}
	return r
}

// Limiters hands out one GetSendStatistics limiter per (account, region):
// AWS allows that call once per second per account and region, and several
// cases for one account may run at once.
type Limiters struct {
	every time.Duration
	mu    sync.Mutex
	m     map[[2]string]*rate.Limiter
}

// NewLimiters returns a registry allowing one call per interval per key.
func NewLimiters(every time.Duration) *Limiters {
	return &Limiters{every: every, m: map[[2]string]*rate.Limiter{}}
}

var defaultLimiters = NewLimiters(time.Duration(float64(time.Second) / awslimits.SESGetSendStatisticsPerSecond))

func (l *Limiters) get(account, region string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [2]string{account, region}
	lim, ok := l.m[k]
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.every), 1)
		l.m[k] = lim
	}
	return lim
}

func (r *Reader) regionClients(region string) regionClients {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[region]; ok {
		return c
	}
	cfg := r.cfg.Copy()
	cfg.Region = region
	// Adaptive mode backs off on throttling across all calls of a client,
	// which is what a burst of cases against one account needs.
	cfg.Retryer = awsx.NewRetryer(awsx.RetryOptions{MaxAttempts: r.opts.maxAttempts, Backoff: r.opts.backoff})
	c := regionClients{
		stats:   ses.NewFromConfig(cfg),
		account: sesv2.NewFromConfig(cfg),
	}
	if r.opts.cloudWatch {
		c.metrics = cloudwatch.NewFromConfig(cfg)
	}
	r.clients[region] = c
	return c
}

func (r *Reader) limiterKey(ctx context.Context) (string, error) {
	if r.opts.account != "" {
		return r.opts.account, nil
	}
	if r.cfg.Credentials == nil {
		return "", nil
	}
	creds, err := r.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("unable to retrieve credentials: %w", err)
	}
	return creds.AccessKeyID, nil
}

// Reputation reads the region's 14-day figures, account status and, if
// asked for, the enforced CloudWatch metrics. A region where SES is not
// offered, not opted in, or never set up yields Enabled:false with a
// Reason, not an error. When some lookups fail and others succeed the
// report names the failures in Gaps; only when nothing could be read is an
// error returned, classified with awsx (errors.Is ErrThrottled, ...).
func (r *Reader) Reputation(ctx context.Context, region string, at time.Time) (sesrep.Report, error) {
	if !awsx.ValidRegion(region) {
		return sesrep.Report{}, fmt.Errorf("unable to read SES reputation: invalid region %q", region)
	}
	key, err := r.limiterKey(ctx)
	if err != nil {
		return sesrep.Report{}, fmt.Errorf("unable to read SES reputation in %s: %w", region, err)
	}
	c := r.regionClients(region)
	at = at.UTC()

	var (
		points                       []sesrep.Point
		acct                         *sesrep.Account
		enforced                     *sesrep.Enforced
		statsErr, acctErr, metricErr error
		g                            errgroup.Group
	)
	limiter := r.opts.limiters.get(key, region)
	g.Go(func() error {
		points, statsErr = sendStatistics(ctx, c.stats, limiter)
		return nil
	})
	g.Go(func() error {
		acct, acctErr = account(ctx, c.account)
		return nil
	})
	if c.metrics != nil {
		g.Go(func() error {
			enforced, metricErr = reputationMetrics(ctx, c.metrics, at)
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through their own variables

	for _, e := range []error{statsErr, acctErr} {
		if reason, ok := notEnabled(e, region); ok {
			return sesrep.Report{Region: region, From: at.Add(-sesrep.Window), To: at, Reason: reason}, nil
		}
	}
	if statsErr != nil && acctErr != nil {
		return sesrep.Report{}, fmt.Errorf("unable to read SES reputation in %s: %w", region, errors.Join(statsErr, acctErr))
	}

	var rep sesrep.Report
	if statsErr == nil {
		rep = sesrep.Summarize(region, points, at)
	} else {
		rep = sesrep.Report{Region: region, From: at.Add(-sesrep.Window), To: at, Enabled: true}
		rep.Gaps = append(rep.Gaps, "GetSendStatistics: "+awsx.Reason(statsErr))
	}
	if acctErr == nil {
		rep.Account = acct
	} else {
		rep.Gaps = append(rep.Gaps, "GetAccount: "+awsx.Reason(acctErr))
	}
	if metricErr == nil {
		rep.Enforced = enforced
	} else {
		rep.Gaps = append(rep.Gaps, "GetMetricData: "+awsx.Reason(metricErr))
	}
	if statsErr == nil && acctErr == nil && neverUsed(len(points), acct) {
		rep.Enabled = false
		rep.Reason = "SES is not set up in this region: the account is in the SES sandbox and has no sending activity in the last 14 days"
	}
	return rep, nil
}

// neverUsed recognises how SES answers in a supported region the account
// never touched: no error, an empty statistics list and GetAccount's
// sandbox defaults. Any enforcement other than HEALTHY, production access
// or recent sending means someone used SES there.
func neverUsed(points int, a *sesrep.Account) bool {
	return points == 0 && a != nil && !a.ProductionAccess && a.SentLast24Hours == 0 &&
		(a.EnforcementStatus == "" || a.EnforcementStatus == sesrep.StatusHealthy)
}

// notEnabled recognises the two ways a region answers when SES cannot be
// used there at all: no endpoint (SES is not offered in the region, so the
// host name does not resolve) and OptInRequired.
func notEnabled(err error, region string) (string, bool) {
	if err == nil {
		return "", false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return fmt.Sprintf("SES is not offered in %s: its endpoint does not resolve", region), true
	}
	if errors.Is(err, awsx.ErrNotEnabled) {
		return fmt.Sprintf("SES is not enabled in %s: %s", region, awsx.Reason(err)), true
	}
	return "", false
}

func sendStatistics(ctx context.Context, api sendStatisticsAPI, limiter *rate.Limiter) ([]sesrep.Point, error) {
	if err := limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("unable to wait for the GetSendStatistics rate limit: %w", err)
	}
	out, err := api.GetSendStatistics(ctx, &ses.GetSendStatisticsInput{})
	if err != nil {
		return nil, fmt.Errorf("unable to get SES send statistics: %w", awsx.Classify(err))
	}
	points := make([]sesrep.Point, 0, len(out.SendDataPoints))
	for _, p := range out.SendDataPoints {
		if p.Timestamp == nil {
			continue // a point without a time cannot be placed in the window
		}
		points = append(points, sesrep.Point{
			Timestamp:        p.Timestamp.UTC(),
			DeliveryAttempts: p.DeliveryAttempts,
			Bounces:          p.Bounces,
			Complaints:       p.Complaints,
			Rejects:          p.Rejects,
		})
	}
	return points, nil
}

func account(ctx context.Context, api accountAPI) (*sesrep.Account, error) {
	out, err := api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return nil, fmt.Errorf("unable to get SES account: %w", awsx.Classify(err))
	}
	a := &sesrep.Account{
		EnforcementStatus: aws.ToString(out.EnforcementStatus),
		SendingEnabled:    out.SendingEnabled,
		ProductionAccess:  out.ProductionAccessEnabled,
	}
	if q := out.SendQuota; q != nil {
		a.Max24HourSend, a.MaxSendRate, a.SentLast24Hours = q.Max24HourSend, q.MaxSendRate, q.SentLast24Hours
	}
	if s := out.SuppressionAttributes; s != nil {
		for _, reason := range s.SuppressedReasons {
			a.SuppressedReasons = append(a.SuppressedReasons, string(reason))
		}
	}
	return a, nil
}

// Metric query ids; GetMetricData wants them to start with a lower-case
// letter.
const (
	idBounce    = "bounce"
	idComplaint = "complaint"
)

// reputationMetrics reads the latest hourly average of each Reputation.*
// metric within the 14 days before at. The metrics carry no dimensions:
// they describe the whole account in the region.
func reputationMetrics(ctx context.Context, api metricDataAPI, at time.Time) (*sesrep.Enforced, error) {
	q := func(id, metric string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SES"), MetricName: aws.String(metric)},
				Period: aws.Int32(3600),
				Stat:   aws.String("Average"),
			},
		}
	}
	out, err := api.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime:         aws.Time(at.Add(-sesrep.Window)),
		EndTime:           aws.Time(at),
		ScanBy:            cwtypes.ScanByTimestampDescending,
		MetricDataQueries: []cwtypes.MetricDataQuery{q(idBounce, "Reputation.BounceRate"), q(idComplaint, "Reputation.ComplaintRate")},
	})
	if err != nil {
		return nil, fmt.Errorf("unable to get SES reputation metrics: %w", awsx.Classify(err))
	}
	e := &sesrep.Enforced{}
	for _, res := range out.MetricDataResults {
		v, ts, ok := latest(res)
		if !ok {
			continue
		}
		switch aws.ToString(res.Id) {
		case idBounce:
			e.BounceRate, e.BounceAt = &v, &ts
		case idComplaint:
			e.ComplaintRate, e.ComplaintAt = &v, &ts
		}
	}
	if e.BounceRate == nil && e.ComplaintRate == nil {
		return nil, nil
	}
	return e, nil
}

// latest picks the newest value rather than trusting the requested order.
func latest(res cwtypes.MetricDataResult) (float64, time.Time, bool) {
	n := min(len(res.Values), len(res.Timestamps))
	best := -1
	for i := range n {
		if math.IsNaN(res.Values[i]) || math.IsInf(res.Values[i], 0) || res.Values[i] < 0 {
			continue
		}
		if best < 0 || res.Timestamps[i].After(res.Timestamps[best]) {
			best = i
		}
	}
	if best < 0 {
		return 0, time.Time{}, false
	}
	return res.Values[best], res.Timestamps[best].UTC(), true
}
