package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/stage"
)

// MustLambda reads the environment and wires a stage for a Lambda main. A
// configuration error ends the process at init, which Lambda reports as an
// init failure with this message in the logs, rather than failing every
// invocation later.
func MustLambda(stageName string, build Build) *stage.Handlers {
	// The handler follows the function's logging config (JSON in our stack)
	// and adds the request id to every record.
	log := slog.New(lambdacontext.NewLogHandler()).With("stage", stageName)
	cfg, err := config.FromEnv(os.Getenv)
	if err == nil {
		var h *stage.Handlers
		h, err = build(context.Background(), cfg, log)
		if err == nil {
			return h
		}
	}
	log.Error("unable to start", "error", err)
	os.Exit(1)
	return nil
}
