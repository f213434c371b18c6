package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/notify/ebus"
	"github.com/abusedesk/abusedesk/pkg/notify/outbox"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/stage"
	"github.com/abusedesk/abusedesk/pkg/store/dynamo"
)

// Stage names, one per function.
const (
	StageIngest = "ingest"
	StageEnrich = "enrich"
	StageNotify = "notify"
	// StageCSVImport imports resource lists from the report bucket's intake/ prefix.
	StageCSVImport = "csvimport"
)

// Build wires one stage's handlers from the configuration. Each stage's
// wiring lives in its own package (this one for ingest, enrichfn,
// notifyfn, csvimportfn) so that a function imports, links and initialises
// only the AWS clients its stage calls: smaller bootstraps, shorter cold
// starts. None calls AWS at init. H is *stage.Handlers for the bus
// stages and the S3 handler for the CSV import.
type Build[H any] func(ctx context.Context, cfg config.Config, log *slog.Logger) (H, error)

// IngestHandlers needs the table and the bus.
func IngestHandlers(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		return DemoHandlers(cfg, log)
	}
	b, err := NewBase(ctx, cfg, log, config.EnvTable, config.EnvBus)
	if err != nil {
		return nil, err
	}
	return b.Handlers(), nil
}

// DemoHandlers serve every stage from the embedded demo account with files
// under cfg.OutboxDir: how the real binaries run under the Lambda Runtime
// Interface Emulator on a machine with no AWS account.
func DemoHandlers(cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	p, err := Demo(cfg, cfg.OutboxDir, nil, log)
	if err != nil {
		return nil, err
	}
	return &stage.Handlers{Pipeline: p, Bus: &outbox.Outbox{Dir: filepath.Join(cfg.OutboxDir, "bus")}, Log: log}, nil
}

// Base is what every AWS stage shares: the AWS configuration, the case
// table (also the contacts directory and the ledger) and the bus. Stage
// packages add what only they need.
type Base struct {
	AWS      aws.Config
	Table    *dynamo.Table
	Bus      *ebus.Publisher
	Pipeline *pipeline.Pipeline
	Log      *slog.Logger
}

// NewBase checks the settings a stage requires and builds the shared parts.
func NewBase(ctx context.Context, cfg config.Config, log *slog.Logger, required ...string) (*Base, error) {
	if err := cfg.Require(required...); err != nil {
		return nil, err
	}
	awsCfg, err := awsx.LoadConfig(ctx, cfg.Region, awsx.RetryOptions{})
	if err != nil {
		return nil, err
	}
	table := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table, dynamo.Options{CaseTTL: time.Duration(cfg.TTLDays) * 24 * time.Hour})
	return &Base{
		AWS:      awsCfg,
		Table:    table,
		Bus:      ebus.New(eventbridge.NewFromConfig(awsCfg), ebus.Config{BusName: cfg.Bus}),
		Pipeline: &pipeline.Pipeline{Store: table, Contacts: table, Fallback: contacts.Contact{Language: "en", To: cfg.DefaultRecipient}, Log: log},
		Log:      log,
	}, nil
}

// Handlers returns the stage handlers over b.
func (b *Base) Handlers() *stage.Handlers {
	return &stage.Handlers{Pipeline: b.Pipeline, Bus: b.Bus, Log: b.Log}
}
