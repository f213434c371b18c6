package awsx

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// RetryOptions tunes the SDK retryer. Zero values keep the SDK defaults
// (3 attempts, 20 s max backoff, jittered exponential backoff).
type RetryOptions struct {
	MaxAttempts int
	MaxBackoff  time.Duration
	// Backoff replaces the delay between attempts (tests retry without
	// sleeping).
	Backoff retry.BackoffDelayer
}

// NewRetryer returns a constructor for the adaptive-mode retryer every
// abusedesk client uses: it retries throttling and 5xx with backoff and, once
// an account starts throttling us, slows the client down instead of burning
// the member account's API quota.
func NewRetryer(o RetryOptions) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
				if o.MaxAttempts > 0 {
					so.MaxAttempts = o.MaxAttempts
				}
				if o.MaxBackoff > 0 {
					so.MaxBackoff = o.MaxBackoff
				}
				if o.Backoff != nil {
					so.Backoff = o.Backoff
				}
			})
		})
	}
}

// LoadConfig loads the default credential chain for region with the adaptive
// retryer installed.
func LoadConfig(ctx context.Context, region string, ro RetryOptions) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithRetryer(NewRetryer(ro)),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("unable to load AWS config: %w", err)
	}
	return cfg, nil
}
