// Package notifyfn wires the notify stage: SES, SNS, the report bucket and
// the ledger, on top of app's shared parts.
package notifyfn

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/archive"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/sesmail"
	"github.com/abusedesk/abusedesk/pkg/notify/snsalert"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

// Handlers adds the report bucket, SES, SNS and the ledger.
func Handlers(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		return app.DemoHandlers(cfg, log)
	}
	b, err := app.NewBase(ctx, cfg, log, config.EnvTable, config.EnvBus, config.EnvReportBucket, config.EnvAlertTopicARN, config.EnvSender)
	if err != nil {
		return nil, err
	}
	b.Pipeline.Sink = archive.New(s3.NewFromConfig(b.AWS), archive.Config{Bucket: cfg.ReportBucket})
	b.Pipeline.Notifier = lazyDispatcher(b.AWS, cfg, b.Table, b.Bus, log)
	return b.Handlers(), nil
}

// quotaTimeout bounds the one GetAccount call that reads the send rate.
const quotaTimeout = 5 * time.Second

// lazyDispatcher builds the SES mailer on first use: it reads the account's
// send quota, which is an API call we keep out of the cold start.
func lazyDispatcher(awsCfg aws.Config, cfg config.Config, ledger notify.Ledger, bus notify.EventPublisher, log *slog.Logger) func(string, int) *notify.Dispatcher {
	var once sync.Once
	var d *notify.Dispatcher
	return func(string, int) *notify.Dispatcher {
		once.Do(func() {
			// Bounded: the quota read must not eat the invocation's time;
			// without it the mailer falls back to the sandbox rate.
			ctx, cancel := context.WithTimeout(context.Background(), quotaTimeout)
			defer cancel()
			d = &notify.Dispatcher{
				Mailer:  sesmail.New(ctx, sesv2.NewFromConfig(awsCfg), sesmail.Config{ConfigurationSet: cfg.ConfigurationSet, ReplyTo: cfg.ReplyTo}),
				Alerter: snsalert.New(sns.NewFromConfig(awsCfg), snsalert.Config{TopicArn: cfg.AlertTopicARN}),
				Events:  bus,
				Ledger:  ledger,
				Email:   notify.EmailOptions{From: cfg.Sender, FromName: cfg.SenderName, ReplyTo: cfg.ReplyTo, ConfigurationSet: cfg.ConfigurationSet},
				Log:     log,
			}
		})
		return d
	}
}
