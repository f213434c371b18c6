package app

import (
	"context"
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

// Build wires one stage's handlers from the configuration. There is one
// per stage, rather than one switch over stages, so that each function's
// binary links only the AWS clients its stage calls: smaller bootstraps,
// shorter cold starts. None calls AWS at init.
type Build func(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error)

// IngestHandlers needs the table and the bus.
func IngestHandlers(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		return demoHandlers(cfg, log)
	}
	b, err := newBase(ctx, cfg, log, config.EnvTable, config.EnvBus)
	if err != nil {
		return nil, err
	}
	return b.handlers(), nil
}

// EnrichHandlers adds the report bucket and the member-account lookups.
func EnrichHandlers(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		return demoHandlers(cfg, log)
	}
	b, err := newBase(ctx, cfg, log, config.EnvTable, config.EnvBus, config.EnvReportBucket, config.EnvExternalID)
	if err != nil {
		return nil, err
	}
	b.p.Sink = archive.New(s3.NewFromConfig(b.aws), archive.Config{Bucket: cfg.ReportBucket})
	conn, err := lookup.New(b.aws, lookup.Options{
		RoleName: cfg.MemberRoleName, ExternalID: cfg.ExternalID,
		SES: func(c aws.Config, account string) enrich.SES {
			return sesrep.NewReader(c, sesrep.WithAccount(account), sesrep.WithCloudWatch())
		},
	})
	if err != nil {
		return nil, err
	}
	b.p.Engine = &enrich.Engine{Connector: conn, SESRegions: sesRegions(cfg)}
	return b.handlers(), nil
}

// NotifyHandlers adds the report bucket, SES, SNS and the ledger.
func NotifyHandlers(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		return demoHandlers(cfg, log)
	}
	b, err := newBase(ctx, cfg, log, config.EnvTable, config.EnvBus, config.EnvReportBucket, config.EnvAlertTopicARN, config.EnvSender)
	if err != nil {
		return nil, err
	}
	b.p.Sink = archive.New(s3.NewFromConfig(b.aws), archive.Config{Bucket: cfg.ReportBucket})
	b.p.Notifier = lazyDispatcher(b.aws, cfg, b.table, b.bus, log)
	return b.handlers(), nil
}

// demoHandlers serve every stage from the embedded demo account with files
// under cfg.OutboxDir: how the real binaries run under the Lambda Runtime
// Interface Emulator on a machine with no AWS account.
func demoHandlers(cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	p, err := Demo(cfg, cfg.OutboxDir, nil, log)
	if err != nil {
		return nil, err
	}
	return &stage.Handlers{Pipeline: p, Bus: &outbox.Outbox{Dir: filepath.Join(cfg.OutboxDir, "bus")}, Log: log}, nil
}

// base is what every AWS stage shares: the case table (also the contacts
// directory) and the bus.
type base struct {
	aws   aws.Config
	table *dynamo.Table
	bus   *ebus.Publisher
	p     *pipeline.Pipeline
	log   *slog.Logger
}

func newBase(ctx context.Context, cfg config.Config, log *slog.Logger, required ...string) (*base, error) {
	if err := cfg.Require(required...); err != nil {
		return nil, err
	}
	awsCfg, err := awsx.LoadConfig(ctx, cfg.Region, awsx.RetryOptions{})
	if err != nil {
		return nil, err
	}
	table := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table, dynamo.Options{CaseTTL: time.Duration(cfg.TTLDays) * 24 * time.Hour})
	return &base{
		aws:   awsCfg,
		table: table,
		bus:   ebus.New(eventbridge.NewFromConfig(awsCfg), ebus.Config{BusName: cfg.Bus}),
		p:     &pipeline.Pipeline{Store: table, Contacts: table, Fallback: contacts.Contact{Language: "en", To: cfg.DefaultRecipient}, Log: log},
		log:   log,
	}, nil
}

func (b *base) handlers() *stage.Handlers {
	return &stage.Handlers{Pipeline: b.p, Bus: b.bus, Log: b.log}
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
