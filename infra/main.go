// Command infra is the abusedesk CDK app (cdk.json runs it). It synthesizes
// the central and member stacks from prebuilt build/<fn>/bootstrap files and
// exits non-zero if cdk-nag reports an unsuppressed error.
package main

import (
	"fmt"
	"os"

	_ "github.com/abusedesk/abusedesk/infra/internal/quietnode"
	"github.com/abusedesk/abusedesk/infra/stacks"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := stacks.NewApp(nil, "")
	if _, _, err := stacks.Build(app); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	asm := app.Synth(nil)
	if errs := stacks.UnsuppressedErrors(asm); len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "unable to synthesize: %d unsuppressed cdk-nag/CDK errors:\n", len(errs))
		for _, e := range errs {
			fmt.Fprintln(os.Stderr, "  "+e)
		}
		os.Exit(1)
	}
}
