//go:build linux

// Package rietest runs real Lambda bootstraps under the AWS Lambda Runtime
// Interface Emulator (aws-lambda-rie) on loopback, without Docker: the
// emulator starts the bootstrap as a child process and serves the Invoke API.
// It backs the RIE integration test, `make invoke` and the INIT benchmark.
package rietest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// InvokePath is the emulator's Invoke API route (the function name is
// always "function").
const InvokePath = "/2015-03-31/functions/function/invocations"

// Options configures one emulator run.
type Options struct {
	RIE       string // path to aws-lambda-rie
	Bootstrap string // path to the function's bootstrap
	Function  string // AWS_LAMBDA_FUNCTION_NAME
	// OutboxDir is where demo mode writes cases, reports and the outbox.
	OutboxDir string
	// Env is appended to the bootstrap environment (KEY=VALUE). The base
	// environment is deliberately minimal: no AWS credentials reach the
	// function unless passed here, so a local run cannot touch an account.
	Env []string
	// LogLevel is the emulator's --log-level; "info" is needed for the
	// INIT REPORT line InitDuration reads.
	LogLevel string
	// TimeoutSeconds is AWS_LAMBDA_FUNCTION_TIMEOUT (default 30).
	TimeoutSeconds int
}

// Emulator is a running aws-lambda-rie with its bootstrap.
type Emulator struct {
	cmd    *exec.Cmd
	url    string
	logs   *syncBuffer
	exited chan struct{}
	client *http.Client
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreeAddr returns a loopback address with a port the kernel just handed
// out; a small race remains until the emulator binds it.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("unable to find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// BaseEnv is the environment the bootstrap sees besides Options.Env: demo
// mode, a region, the function's identity and JSON logs as in the stack.
func BaseEnv(o Options) []string {
	timeout := o.TimeoutSeconds
	if timeout <= 0 {
		timeout = 30
	}
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"ABUSEDESK_MODE=demo",
		"ABUSEDESK_OUTBOX_DIR=" + o.OutboxDir,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME=" + o.Function,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(timeout),
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
	}
}

// Start launches the emulator on free loopback ports and waits until its
// Invoke API accepts connections. The bootstrap itself starts (INIT) on the
// first invocation, as in Lambda's on-demand mode.
func Start(ctx context.Context, o Options) (*Emulator, error) {
	for _, p := range []string{o.RIE, o.Bootstrap} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("unable to start emulator: %w", err)
		}
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.Function == "" {
		o.Function = filepath.Base(filepath.Dir(o.Bootstrap))
	}
	if o.OutboxDir == "" {
		o.OutboxDir = filepath.Join(os.TempDir(), "abusedesk")
	}
	invokeAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	runtimeAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	bootstrap, err := filepath.Abs(o.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("unable to resolve bootstrap: %w", err)
	}
	// Absolute, because the emulator runs in the bootstrap's directory.
	rie, err := filepath.Abs(o.RIE)
	if err != nil {
		return nil, fmt.Errorf("unable to resolve emulator: %w", err)
	}
	cmd := exec.Command(rie,
		"--log-level", o.LogLevel,
		"--runtime-interface-emulator-address", invokeAddr,
		// The runtime API defaults to 127.0.0.1:9001; a fixed port would
		// collide between emulators running side by side.
		"--runtime-api-address", runtimeAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append(BaseEnv(o), o.Env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Own process group, so Close ends the emulator and the bootstrap it
	// spawned; Pdeathsig covers a test binary that dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("unable to start emulator: %w", err)
	}
	e := &Emulator{
		cmd:    cmd,
		url:    "http://" + invokeAddr + InvokePath,
		logs:   logs,
		exited: make(chan struct{}),
		client: &http.Client{},
	}
	go func() { _ = cmd.Wait(); close(e.exited) }()
	if err := e.waitReady(ctx, invokeAddr); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Emulator) waitReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("unable to start emulator: it exited; logs:\n%s", e.Logs())
		case <-ctx.Done():
			return fmt.Errorf("unable to reach emulator at %s: %w; logs:\n%s", addr, ctx.Err(), e.Logs())
		case <-tick.C:
		}
	}
}

// Response is the emulator's answer to one invocation.
type Response struct {
	Status int
	Body   []byte
	// ErrorType and ErrorMessage are set when the handler returned an
	// error (Lambda's function-error payload).
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// FunctionError reports whether the handler returned an error payload.
func (r Response) FunctionError() bool { return r.ErrorType != "" || r.ErrorMessage != "" }

// Invoke posts one event and returns the function's response.
func (e *Emulator) Invoke(ctx context.Context, event []byte) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	if err != nil {
		return Response{}, fmt.Errorf("unable to build invoke request: %w", err)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("unable to invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("unable to read invoke response: %w", err)
	}
	r := Response{Status: resp.StatusCode, Body: body}
	var fe struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &fe) == nil {
		r.ErrorType, r.ErrorMessage = fe.ErrorType, fe.ErrorMessage
	}
	return r, nil
}

// Running reports whether the emulator process is still alive.
func (e *Emulator) Running() bool {
	select {
	case <-e.exited:
		return false
	default:
		return true
	}
}

// Logs returns everything the emulator and the function printed so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// Close ends the emulator's process group and waits for it.
func (e *Emulator) Close() {
	if e.Running() {
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	}
	select {
	case <-e.exited:
	case <-time.After(5 * time.Second):
	}
}

var (
	initReportRe = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	reportInitRe = regexp.MustCompile(`REPORT RequestId: \S+\s+Init Duration: ([0-9.]+) ms`)
)

// ErrNoInit means the logs hold no INIT report yet (no invocation, or a log
// level above info).
var ErrNoInit = errors.New("no INIT report in emulator logs")

// InitDuration is the runtime's INIT phase as the emulator measures it: from
// starting the bootstrap until it asks for its first event. It is read from
// the "INIT REPORT(durationMs: …)" line. The REPORT line's "Init Duration"
// is not used: this emulator build stops that clock when the init request
// is dispatched, not when the runtime is ready, so it reads well under 1 ms.
func InitDuration(logs string) (time.Duration, error) {
	m := initReportRe.FindStringSubmatch(logs)
	if m == nil {
		return 0, ErrNoInit
	}
	return parseMS(m[1])
}

// ReportInitDuration is the "Init Duration" field of the REPORT line.
func ReportInitDuration(logs string) (time.Duration, error) {
	m := reportInitRe.FindStringSubmatch(logs)
	if m == nil {
		return 0, ErrNoInit
	}
	return parseMS(m[1])
}

func parseMS(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("unable to parse duration %q: %w", s, err)
	}
	return time.Duration(f * float64(time.Millisecond)), nil
}

// Functions lists the function names under root/functions that have a
// main.go, sorted: the set the Makefile builds.
func Functions(root string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return nil, fmt.Errorf("unable to list functions: %w", err)
	}
	var out []string
	for _, m := range matches {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(out)
	return out, nil
}

// RepoRoot walks up from dir to the directory holding the root go.mod.
func RepoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/abusedesk/abusedesk\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("unable to find the repository root above %s", dir)
		}
	}
}

// AsEventBridgeEvent wraps a PutEvents entry (as the demo bus writes it)
// into the envelope EventBridge hands to a Lambda target.
func AsEventBridgeEvent(entry []byte, id string, now time.Time) ([]byte, error) {
	var e map[string]json.RawMessage
	if err := json.Unmarshal(entry, &e); err != nil {
		return nil, fmt.Errorf("unable to parse bus entry: %w", err)
	}
	out := map[string]any{
		"version": "0",
		"id":      id,
		"account": "123456789012",
		"time":    now.UTC().Format(time.RFC3339),
		"region":  "us-east-1",
	}
	for _, k := range []string{"source", "detail-type", "resources", "detail"} {
		if v, ok := e[k]; ok {
			out[k] = v
		}
	}
	if _, ok := out["resources"]; !ok {
		out["resources"] = []string{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("unable to encode event: %w", err)
	}
	return b, nil
}
