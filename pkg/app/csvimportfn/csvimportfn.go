// Package csvimportfn wires the CSV import function: the enrich stage's
// dependencies plus an S3 client to read the uploads.
package csvimportfn

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/app/enrichfn"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/csvintake"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

// Handler wires the S3-triggered CSV import: the enrich stage's
// dependencies (store, engine, report sink, bus) plus an S3 client to read
// the uploads.
func Handler(ctx context.Context, cfg config.Config, log *slog.Logger) (*csvintake.S3Handler, error) {
	if len(cfg.IntakeRegions) == 0 {
		return nil, errors.New("unable to start: set " + config.EnvIntakeRegions + " or " + config.EnvRegion)
	}
	var hs *stage.Handlers
	var awsCfg aws.Config
	if cfg.Mode == config.ModeDemo {
		var err error
		if hs, err = app.DemoHandlers(cfg, log); err != nil {
			return nil, err
		}
		if awsCfg, err = awsx.LoadConfig(ctx, cfg.Region, awsx.RetryOptions{}); err != nil {
			return nil, err
		}
	} else {
		b, err := enrichfn.Base(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		hs, awsCfg = b.Handlers(), b.AWS // one AWS configuration for every client
	}
	return &csvintake.S3Handler{
		S3: s3.NewFromConfig(awsCfg), Bucket: cfg.ReportBucket,
		Importer: &csvintake.Importer{Pipeline: hs.Pipeline},
		Regions:  cfg.IntakeRegions, Bus: hs.Bus, Log: log,
	}, nil
}
