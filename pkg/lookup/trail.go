package lookup

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/abusedesk/abusedesk/pkg/awslimits"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	ctrecord "github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

// LookupEvents is documented as "limited to two per second, per account, per
// Region"; exceeding it throttles every other caller in the account too.
const (
	trailQuota  = int(awslimits.CloudTrailLookupEventsPerSecond)
	trailWindow = 1200 * time.Millisecond // one second plus a margin for network jitter
)

// TrailLimiter paces LookupEvents per (account, region) as the quota reads:
// at most Quota sends in any Window. A token bucket (x/time/rate) cannot
// express that with a burst above one, and a burst of one would make a
// case's two usual queries (by key and by user) wait on each other. Window
// is a little over a second because the quota is counted where requests
// arrive, and jitter can bunch sends together. Share one limiter across
// everything in a process so concurrent cases on one account stay under the
// quota together.
type TrailLimiter struct {
	quota  int
	window time.Duration

	mu    sync.Mutex
	sends map[string][]time.Time // per key: the last quota send times, oldest first
}

// NewTrailLimiter allows quota calls per window per account and region.
func NewTrailLimiter(quota int, window time.Duration) *TrailLimiter {
	return &TrailLimiter{quota: max(quota, 1), window: window, sends: map[string][]time.Time{}}
}

// SharedTrailLimiter is the process-wide default at the documented quota.
var SharedTrailLimiter = NewTrailLimiter(trailQuota, trailWindow)

// Wait blocks until a call for (account, region) fits in the quota, and
// books it.
func (t *TrailLimiter) Wait(ctx context.Context, account, region string) error {
	k := account + "/" + region
	for {
		t.mu.Lock()
		now := time.Now()
		s := t.sends[k]
		if len(s) < t.quota || now.Sub(s[0]) >= t.window {
			if len(s) == t.quota {
				s = s[1:]
			}
			t.sends[k] = append(s, now)
			t.mu.Unlock()
			return nil
		}
		wait := t.window - now.Sub(s[0])
		t.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
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
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
				o.Region = region
				o.APIOptions = append(o.APIOptions, pace(limiter, account, region))
			})
		}),
	}
}

// pace waits for the limiter inside the retry loop, just before signing, so
// every attempt — retries included — is paced, not just every page, and a
// long wait never leaves a stale signature.
func pace(lim *TrailLimiter, account, region string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("abusedeskTrailPace",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := lim.Wait(ctx, account, region); err != nil {
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
		MaxResults:       aws.Int32(awslimits.CloudTrailLookupEventsPageMax),
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
// same JSON object a trail delivers to S3; an object without a name or time
// is as useless to the timeline as a syntax error.
func parseLookupEvent(s string) (ctrecord.Record, error) {
	r, err := ctrecord.ParseLookupEvent(s)
	if err != nil {
		return ctrecord.Record{}, err
	}
	if r.EventName == "" || r.EventTime.IsZero() {
		return ctrecord.Record{}, fmt.Errorf("unable to parse CloudTrailEvent: no eventName or eventTime")
	}
	return r, nil
}
