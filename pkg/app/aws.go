package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/abusedesk/abusedesk/pkg/archive"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/lookup"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/ebus"
	"github.com/abusedesk/abusedesk/pkg/notify/outbox"
	"github.com/abusedesk/abusedesk/pkg/notify/sesmail"
	"github.com/abusedesk/abusedesk/pkg/notify/snsalert"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
	"github.com/abusedesk/abusedesk/pkg/stage"
	"github.com/abusedesk/abusedesk/pkg/store/dynamo"
)

// Stage names, one per function.
const (
	StageIngest = "ingest"
	StageEnrich = "enrich"
	StageNotify = "notify"
)

// Handlers wires the stage handlers for cfg.Mode. In demo mode everything
// is local (the embedded account, files under cfg.OutboxDir), which is how
// the real binaries run under the Lambda Runtime Interface Emulator on a
// machine with no AWS account. In AWS mode only what the stage needs is
// built, and nothing calls AWS at init: cold starts stay short.
func Handlers(ctx context.Context, cfg config.Config, stageName string, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		p, err := Demo(cfg, cfg.OutboxDir, nil, log)
		if err != nil {
			return nil, err
		}
		return &stage.Handlers{Pipeline: p, Bus: &outbox.Outbox{Dir: filepath.Join(cfg.OutboxDir, "bus")}, Log: log}, nil
	}
	required := map[string][]string{
		StageIngest: {config.EnvTable, config.EnvBus},
		StageEnrich: {config.EnvTable, config.EnvBus, config.EnvReportBucket, config.EnvExternalID},
		StageNotify: {config.EnvTable, config.EnvBus, config.EnvReportBucket, config.EnvAlertTopicARN, config.EnvSender},
	}
	names, ok := required[stageName]
	if !ok {
		return nil, fmt.Errorf("unable to wire stage %q: unknown stage", stageName)
	}
	if err := cfg.Require(names...); err != nil {
		return nil, err
	}
	awsCfg, err := awsx.LoadConfig(ctx, cfg.Region, awsx.RetryOptions{})
	if err != nil {
		return nil, err
	}
	table := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table, dynamo.Options{CaseTTL: time.Duration(cfg.TTLDays) * 24 * time.Hour})
	p := &pipeline.Pipeline{Store: table, Contacts: table, Fallback: contacts.Contact{Language: "en", To: cfg.DefaultRecipient}, Log: log}
	bus := ebus.New(eventbridge.NewFromConfig(awsCfg), ebus.Config{BusName: cfg.Bus})
	if cfg.ReportBucket != "" {
		p.Sink = archive.New(s3.NewFromConfig(awsCfg), archive.Config{Bucket: cfg.ReportBucket})
	}
	switch stageName {
	case StageEnrich:
		conn, err := lookup.New(awsCfg, lookup.Options{
			RoleName: cfg.MemberRoleName, ExternalID: cfg.ExternalID,
			SES: func(c aws.Config, account string) enrich.SES {
				return sesrep.NewReader(c, sesrep.WithAccount(account), sesrep.WithCloudWatch())
			},
		})
		if err != nil {
			return nil, err
		}
		p.Engine = &enrich.Engine{Connector: conn, SESRegions: sesRegions(cfg)}
	case StageNotify:
		p.Notifier = lazyDispatcher(awsCfg, cfg, table, bus, log)
	}
	return &stage.Handlers{Pipeline: p, Bus: bus, Log: log}, nil
}

// lazyDispatcher builds the SES mailer on first use: it reads the account's
// send quota, which is an API call we keep out of the cold start.
func lazyDispatcher(awsCfg aws.Config, cfg config.Config, ledger notify.Ledger, bus notify.EventPublisher, log *slog.Logger) func(string, int) *notify.Dispatcher {
	var once sync.Once
	var d *notify.Dispatcher
	return func(string, int) *notify.Dispatcher {
		once.Do(func() {
			d = &notify.Dispatcher{
				Mailer:  sesmail.New(context.Background(), sesv2.NewFromConfig(awsCfg), sesmail.Config{ConfigurationSet: cfg.ConfigurationSet, ReplyTo: cfg.ReplyTo}),
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
