// Package csvimportfn wires the CSV import function: the enrich stage's
// dependencies plus an S3 client to read the uploads.
package csvimportfn

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/pkg/app/enrichfn"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/csvintake"
)

// Handler wires the S3-triggered CSV import: the enrich stage's
// dependencies (store, engine, report sink, bus) plus an S3 client to read
// the uploads.
func Handler(ctx context.Context, cfg config.Config, log *slog.Logger) (*csvintake.S3Handler, error) {
	if cfg.Mode == config.ModeAWS {
		if err := cfg.Require(config.EnvReportBucket); err != nil {
			return nil, err
		}
	}
	if len(cfg.IntakeRegions) == 0 {
		return nil, errors.New("unable to start: set " + config.EnvIntakeRegions + " or " + config.EnvRegion)
	}
	hs, err := enrichfn.Handlers(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsx.LoadConfig(ctx, cfg.Region, awsx.RetryOptions{})
	if err != nil {
		return nil, err
	}
	return &csvintake.S3Handler{
		S3: s3.NewFromConfig(awsCfg), Bucket: cfg.ReportBucket,
		Importer: &csvintake.Importer{Pipeline: hs.Pipeline},
		Regions:  cfg.IntakeRegions, Bus: hs.Bus, Log: log,
	}, nil
}
