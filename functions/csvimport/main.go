// Command csvimport is the Lambda that imports resource lists uploaded to
// the report bucket under intake/<account>/[<case id>/]<file>: each list
// becomes (or joins) one case, is looked up in the account, gets one
// report, and is announced as "Case Enriched" for the notify stage.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/app/csvimportfn"
	"github.com/abusedesk/abusedesk/pkg/config"
)

func main() {
	log := slog.New(lambdacontext.NewLogHandler()).With("stage", app.StageCSVImport)
	cfg, err := config.FromEnv(os.Getenv)
	if err == nil {
		h, herr := csvimportfn.Handler(context.Background(), cfg, log)
		if herr == nil {
			lambda.Start(h.Handle)
			return
		}
		err = herr
	}
	log.Error("unable to start", "error", err)
	os.Exit(1)
}
