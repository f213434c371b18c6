// Command notify is the Lambda that delivers an enriched case ("Case
// Enriched") to the customer, the on-call engineer and the bus, once each.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/app/notifyfn"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

func main() {
	h := app.MustLambda(app.StageNotify, notifyfn.Handlers)
	lambda.Start(stage.Lambda(h, app.StageNotify, h.Notify))
}
