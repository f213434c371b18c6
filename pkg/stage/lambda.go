package stage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/abusedesk/abusedesk/pkg/health"
)

// Lambda adapts a stage handler to lambda.Handler. aws-lambda-go would
// decode the payload itself and fail an empty or non-JSON one with a bare
// "EOF" or a SyntaxError; decoding here gives the caller the same
// "invalid event: ..." error the CLI gives, logged at ERROR first.
func Lambda[In, Out any](h *Handlers, stageName string, fn func(context.Context, In) (Out, error)) lambda.Handler {
	return rawHandler[In, Out]{h: h, stage: stageName, fn: fn}
}

// rawHandler implements lambda.Handler on the payload bytes, before any
// decoding by the runtime library.
type rawHandler[In, Out any] struct {
	h     *Handlers
	stage string
	fn    func(context.Context, In) (Out, error)
}

func (r rawHandler[In, Out]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	in, err := decode[In](payload)
	if err != nil {
		return nil, r.h.fail(ctx, r.stage, err)
	}
	out, err := r.fn(ctx, in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, r.h.fail(ctx, r.stage, fmt.Errorf("unable to encode the response: %w", err))
	}
	return b, nil
}

func decode[In any](payload []byte) (In, error) {
	var in In
	p := bytes.TrimSpace(payload)
	switch {
	case len(p) == 0 || bytes.Equal(p, []byte("null")):
		return in, &health.InputError{Reason: "empty payload"}
	case p[0] != '{':
		return in, &health.InputError{Reason: "payload is not a JSON object"}
	}
	if err := json.Unmarshal(p, &in); err != nil {
		return in, &health.InputError{Reason: "payload does not decode", Err: fmt.Errorf("%s", clip(err.Error()))}
	}
	return in, nil
}
