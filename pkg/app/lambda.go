package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/abusedesk/abusedesk/pkg/config"
)

// MustLambda reads the environment and wires a stage for a Lambda main. A
// configuration error ends the process at init, which Lambda reports as an
// init failure with this message in the logs, rather than failing every
// invocation later.
func MustLambda[H any](stageName string, build Build[H]) H {
	// The handler follows the function's logging config (JSON in our stack)
	// and adds the request id to every record.
	log := slog.New(lambdacontext.NewLogHandler()).With("stage", stageName)
	cfg, err := config.FromEnv(os.Getenv)
	var h H
	if err == nil {
		if h, err = build(context.Background(), cfg, log); err == nil {
			return h
		}
	}
	log.Error("unable to start", "error", err)
	os.Exit(1)
	return h
}
