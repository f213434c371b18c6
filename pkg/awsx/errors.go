// Package awsx holds what every AWS adapter shares: error classification in
// one place, and client configuration (retry mode, endpoints for tests).
package awsx

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// Sentinel classes. Adapters wrap SDK errors with Classify so callers test
// with errors.Is and never match on strings.
var (
	ErrNotFound     = errors.New("not found")
	ErrAccessDenied = errors.New("access denied")
	ErrThrottled    = errors.New("throttled")
	ErrNotEnabled   = errors.New("service not enabled in region")
)

var codeClass = map[string]error{
	"AccessDenied":                           ErrAccessDenied,
	"AccessDeniedException":                  ErrAccessDenied,
	"UnauthorizedOperation":                  ErrAccessDenied,
	"UnrecognizedClientException":            ErrAccessDenied,
	"InvalidClientTokenId":                   ErrAccessDenied,
	"ExpiredToken":                           ErrAccessDenied,
	"ExpiredTokenException":                  ErrAccessDenied,
	"AuthFailure":                            ErrAccessDenied,
	"OptInRequired":                          ErrNotEnabled,
	"NoSuchEntity":                           ErrNotFound,
	"NoSuchEntityException":                  ErrNotFound,
	"ResourceNotFoundException":              ErrNotFound,
	"NotFoundException":                      ErrNotFound,
	"NoSuchKey":                              ErrNotFound,
	"NoSuchBucket":                           ErrNotFound,
	"NoSuchVersion":                          ErrNotFound,
	"InvalidInstanceID.NotFound":             ErrNotFound,
	"InvalidGroup.NotFound":                  ErrNotFound,
	"Throttling":                             ErrThrottled,
	"ThrottlingException":                    ErrThrottled,
	"ThrottledException":                     ErrThrottled,
	"RequestLimitExceeded":                   ErrThrottled,
	"ProvisionedThroughputExceededException": ErrThrottled,
	"AuthorizationError":                     ErrAccessDenied,
	"NotFound":                               ErrNotFound,
	"TooManyRequestsException":               ErrThrottled,
}

// classified keeps the original error reachable with errors.As while
// errors.Is matches the class.
type classified struct {
	class error
	err   error
}

func (c classified) Error() string   { return c.err.Error() }
func (c classified) Unwrap() []error { return []error{c.class, c.err} }

// Classify wraps err so errors.Is(err, ErrNotFound|ErrAccessDenied|...)
// works. Unknown errors are returned unchanged.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if class, ok := codeClass[ae.ErrorCode()]; ok {
			return classified{class: class, err: err}
		}
	}
	return err
}

// Reason renders an error for a report: the class and the AWS error code,
// never request ids or signatures.
func Reason(err error) string {
	var ae smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &ae):
		return fmt.Sprintf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	default:
		return err.Error()
	}
}

// Code names an error without its message: the AWS error code, or the
// class for errors that carry none. Safe to show outside the team, since
// AWS messages quote ARNs and account ids.
func Code(err error) string {
	var ae smithy.APIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, ErrAccessDenied):
		return "access denied"
	case errors.Is(err, ErrNotFound):
		return "not found"
	}
	return "error"
}
