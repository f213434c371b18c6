// Command ingest is the Lambda that turns AWS Health abuse and risk events
// into cases. It only wires: the logic is pkg/stage and pkg/pipeline.
package main

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

func main() {
	h := app.MustLambda(app.StageIngest, app.IngestHandlers)
	lambda.Start(stage.Lambda[json.RawMessage](h, app.StageIngest, h.Ingest))
}
