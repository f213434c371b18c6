// Package enrichfn wires the enrich stage: the member-account lookups and
// the report bucket, on top of app's shared parts.
package enrichfn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/archive"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/lookup"
	"github.com/abusedesk/abusedesk/pkg/sesrep/sesaws"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

// Handlers adds the report bucket and the member-account lookups.
func Handlers(ctx context.Context, cfg config.Config, log *slog.Logger) (*stage.Handlers, error) {
	if cfg.Mode == config.ModeDemo {
		return app.DemoHandlers(cfg, log)
	}
	b, err := Base(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	return b.Handlers(), nil
}

// Base wires the enrich stage's parts in AWS mode, for the functions that
// build on them (the CSV import also needs the AWS configuration).
func Base(ctx context.Context, cfg config.Config, log *slog.Logger) (*app.Base, error) {
	b, err := app.NewBase(ctx, cfg, log, config.EnvTable, config.EnvBus, config.EnvReportBucket, config.EnvExternalID)
	if err != nil {
		return nil, err
	}
	b.Pipeline.Sink = archive.New(s3.NewFromConfig(b.AWS), archive.Config{Bucket: cfg.ReportBucket})
	conn, err := lookup.New(b.AWS, lookup.Options{
		RoleName: cfg.MemberRoleName, ExternalID: cfg.ExternalID,
		SES: func(c aws.Config, account string) enrich.SES {
			return sesaws.NewReader(c, sesaws.WithAccount(account), sesaws.WithCloudWatch())
		},
	})
	if err != nil {
		return nil, err
	}
	b.Pipeline.Engine = &enrich.Engine{Connector: conn, SESRegions: app.SESRegions(cfg)}
	return b, nil
}
