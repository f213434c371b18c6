// Command enrich is the Lambda that runs the automatic lookups for a case
// announced on the bus ("Case Opened") and archives its reports.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/app/enrichfn"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

func main() {
	h := app.MustLambda(app.StageEnrich, enrichfn.Handlers)
	lambda.Start(stage.Lambda(h, app.StageEnrich, h.Enrich))
}
