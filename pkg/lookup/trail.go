package lookup

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	ctrecord "github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

// LookupEvents is documented as "limited to two per second, per account, per
// Region"; exceeding it throttles every other caller in the account too.
// Requests are spaced 600 ms apart rather than 500 ms: the quota is counted
// where requests arrive, and network jitter can bunch exactly-spaced sends
// into three arrivals within one second.
const (
	trailQuota    = 2 // documented calls per second per account and region
	trailInterval = 600 * time.Millisecond
	trailBurst    = 1
	trailPageSize = 50 // the documented maximum MaxResults
)

// TrailLimiter hands out one rate limiter per (account, region). Share one
// across everything in a process that calls LookupEvents so concurrent cases
// on the same account stay under the quota together.
type TrailLimiter struct {
	limit rate.Limit
	burst int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewTrailLimiter returns a limiter allowing limit calls per second per
// account and region with the given burst.
func NewTrailLimiter(limit rate.Limit, burst int) *TrailLimiter {
	return &TrailLimiter{limit: limit, burst: max(burst, 1), limiters: map[string]*rate.Limiter{}}
}

// SharedTrailLimiter is the process-wide default, just under the documented
// quota.
var SharedTrailLimiter = NewTrailLimiter(rate.Every(trailInterval), trailBurst)

func (t *TrailLimiter) get(account, region string) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := account + "/" + region
	l, ok := t.limiters[k]
	if !ok {
		l = rate.NewLimiter(t.limit, t.burst)
		t.limiters[k] = l
	}
	return l
}

// cloudtrailAPI is what the Trail adapter calls.
type cloudtrailAPI interface {
	LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

// Trail implements enrich.Trail.
type Trail struct {
	clients *regional[cloudtrailAPI]
	pageCap int
}

func newTrail(cfg aws.Config, account string, limiter *TrailLimiter, pageCap int) *Trail {
	return &Trail{
		pageCap: pageCap,
		clients: newRegional(func(region string) cloudtrailAPI {
			lim := limiter.get(account, region)
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
				o.Region = region
				o.APIOptions = append(o.APIOptions, pace(lim))
			})
		}),
	}
}

// pace waits for the limiter inside the retry loop, just before signing, so
// every attempt — retries included — is paced, not just every page, and a
// long wait never leaves a stale signature.
func pace(lim *rate.Limiter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("abusedeskTrailPace",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := lim.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("unable to wait for LookupEvents quota: %w", err)
				}
				return next.HandleFinalize(ctx, in)
			}), "Signing", middleware.Before)
	}
}

var lookupKeys = map[string]types.LookupAttributeKey{
	"AccessKeyId":  types.LookupAttributeKeyAccessKeyId,
	"Username":     types.LookupAttributeKeyUsername,
	"EventId":      types.LookupAttributeKeyEventId,
	"EventName":    types.LookupAttributeKeyEventName,
	"EventSource":  types.LookupAttributeKeyEventSource,
	"ReadOnly":     types.LookupAttributeKeyReadOnly,
	"ResourceName": types.LookupAttributeKeyResourceName,
	"ResourceType": types.LookupAttributeKeyResourceType,
}

// LookupEvents pages through LookupEvents for one attribute, up to the page
// cap; the result is Truncated when more pages were left. A CloudTrailEvent
// string that does not parse is skipped and counted, never fatal.
func (t *Trail) LookupEvents(ctx context.Context, region string, q evidence.TrailQuery) (evidence.TrailResult, error) {
	res := evidence.TrailResult{Region: region, Query: q}
	if err := checkRegion(region); err != nil {
		return res, err
	}
	key, ok := lookupKeys[q.Attribute]
	if !ok {
		return res, fmt.Errorf("unable to look up events by %q: unsupported attribute", q.Attribute)
	}
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(q.Value)}},
		MaxResults:       aws.Int32(trailPageSize),
	}
	if !q.Start.IsZero() {
		in.StartTime = aws.Time(q.Start)
	}
	if !q.End.IsZero() {
		in.EndTime = aws.Time(q.End)
	}
	client := t.clients.get(region)
	p := cloudtrail.NewLookupEventsPaginator(client, in)
	for p.HasMorePages() {
		if res.Pages >= t.pageCap {
			res.Truncated = true
			break
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return res, fmt.Errorf("unable to look up CloudTrail events in %s: %w", region, awsx.Classify(err))
		}
		res.Pages++
		for _, ev := range page.Events {
			rec, err := parseLookupEvent(aws.ToString(ev.CloudTrailEvent))
			if err != nil {
				res.Skipped++
				continue
			}
			res.Records = append(res.Records, rec)
		}
	}
	return res, nil
}

// parseLookupEvent reads LookupEvents' CloudTrailEvent string, which is the
// same JSON object a trail delivers to S3.
func parseLookupEvent(s string) (ctrecord.Record, error) {
	var r ctrecord.Record
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return ctrecord.Record{}, fmt.Errorf("unable to parse CloudTrailEvent: %w", err)
	}
	if r.EventName == "" || r.EventTime.Equal(time.Time{}) {
		return ctrecord.Record{}, fmt.Errorf("unable to parse CloudTrailEvent: no eventName or eventTime")
	}
	return r, nil
}
