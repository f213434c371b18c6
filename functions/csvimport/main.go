// Command csvimport is the Lambda that imports resource lists uploaded to
// the report bucket under intake/<account>/[<case id>/]<file>: each list
// becomes (or joins) one case, is looked up in the account, gets one
// report, and is announced as "Case Enriched" for the notify stage.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/csvintake"
)

// EnvIntakeRegions lists the regions addresses are looked up in
// (comma-separated); the function's own region when unset.
const EnvIntakeRegions = "ABUSEDESK_INTAKE_REGIONS"

func main() {
	log := slog.New(lambdacontext.NewLogHandler()).With("stage", "csvimport")
	h, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("unable to start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// build wires the handler with the enrich stage's dependencies (store,
// engine, report sink, bus) plus an S3 client to read the uploads.
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (*csvintake.S3Handler, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == config.ModeAWS {
		if err := cfg.Require(config.EnvReportBucket); err != nil {
			return nil, err
		}
	}
	hs, err := app.Handlers(ctx, cfg, app.StageEnrich, log)
	if err != nil {
		return nil, err
	}
	region := getenv("AWS_REGION")
	awsCfg, err := awsx.LoadConfig(ctx, region, awsx.RetryOptions{})
	if err != nil {
		return nil, err
	}
	var regions []string
	for _, r := range strings.Split(getenv(EnvIntakeRegions), ",") {
		if r = strings.TrimSpace(r); r != "" {
			regions = append(regions, r)
		}
	}
	if len(regions) == 0 && region != "" {
		regions = []string{region}
	}
	if len(regions) == 0 {
		return nil, fmt.Errorf("unable to start: set %s or AWS_REGION", EnvIntakeRegions)
	}
	return &csvintake.S3Handler{
		S3: s3.NewFromConfig(awsCfg), Bucket: cfg.ReportBucket,
		Importer: &csvintake.Importer{Pipeline: hs.Pipeline},
		Regions:  regions, Bus: hs.Bus, Log: log,
	}, nil
}
