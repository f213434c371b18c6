// Command csvimport is the Lambda that imports resource lists uploaded to
// the report bucket under intake/<account>/[<case id>/]<file>: each list
// becomes (or joins) one case, is looked up in the account, gets one
// report, and is announced as "Case Enriched" for the notify stage.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/abusedesk/abusedesk/pkg/app"
	"github.com/abusedesk/abusedesk/pkg/app/csvimportfn"
)

func main() {
	h := app.MustLambda(app.StageCSVImport, csvimportfn.Handler)
	lambda.Start(h.Handle)
}
