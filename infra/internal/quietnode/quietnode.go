// Package quietnode turns off jsii's multi-line Node version banners: the
// machine's Node may be older than jsii's support window yet work fine, and
// the banner drowns synth and test output. Import it for its side effect,
// before any CDK package: the jsii kernel child process inherits the
// environment when it starts, which can happen during package init, so
// main-time os.Setenv is too late. Its import path sorts before github.com/aws,
// so Go initialises it first. Variables the user set are left alone.
package quietnode

import (
	"os"
	"strconv"
	"strings"
)

func init() {
	// jsii honours the end-of-life switch only for the major versions it
	// lists, so list every plausible one.
	majors := make([]string, 0, 30)
	for v := 14; v <= 40; v++ {
		majors = append(majors, strconv.Itoa(v))
	}
	for k, v := range map[string]string{
		"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION":    "1",
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION":  "1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": strings.Join(majors, ","),
	} {
		if _, ok := os.LookupEnv(k); !ok {
			_ = os.Setenv(k, v)
		}
	}
}
