// Package notifytest connects tests to the local AWS peers started by
// scripts/emulators.sh (dynalite, aws-ses-v2-local) through the real SDK
// clients, and reads what aws-ses-v2-local stored.
package notifytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// Environment variables exported by scripts/emulators.sh and make test.
const (
	EnvDynamoDB = "ABUSEDESK_DYNAMODB_ENDPOINT"
	EnvSESv2    = "ABUSEDESK_SESV2_ENDPOINT"
	EnvRequire  = "ABUSEDESK_REQUIRE_EMULATORS"
)

// Region is any valid region: the emulators ignore it, the SDK needs one.
const Region = "us-east-1"

// Endpoint returns the emulator endpoint in env; without it the test is
// skipped, or fails when the run promised emulators.
func Endpoint(t testing.TB, env string) string {
	t.Helper()
	ep := os.Getenv(env)
	if ep != "" {
		return ep
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s is unset but %s=1: start scripts/emulators.sh", env, EnvRequire)
	}
	t.Skipf("%s unset: emulator tests skipped (eval \"$(scripts/emulators.sh start)\")", env)
	return ""
}

// Credentials are static dummies: the emulators only check that a
// signature is present.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "test-secret-not-real", "")
}

// DynamoDB returns a real client pointed at dynalite.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	ep := Endpoint(t, EnvDynamoDB)
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(ep), Region: Region, Credentials: Credentials(),
	})
}

// SESv2 returns a real client pointed at aws-ses-v2-local and its base URL.
func SESv2(t testing.TB) (*sesv2.Client, string) {
	t.Helper()
	ep := Endpoint(t, EnvSESv2)
	return sesv2.New(sesv2.Options{
		BaseEndpoint: aws.String(ep), Region: Region, Credentials: Credentials(),
	}), ep
}

// UniqueName returns prefix plus random hex so parallel tests sharing one
// emulator never see each other's tables or addresses.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// StoredEmail is the part of aws-ses-v2-local's GET /store entry the tests
// read.
type StoredEmail struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Subject     string   `json:"subject"`
	Destination struct {
		To  []string `json:"to"`
		CC  []string `json:"cc"`
		BCC []string `json:"bcc"`
	} `json:"destination"`
	Body struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
}

// SESStore lists every e-mail aws-ses-v2-local accepted. The store is
// shared by all tests using the emulator, so callers filter by unique
// recipients.
func SESStore(ctx context.Context, endpoint string) ([]StoredEmail, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/store", nil)
	if err != nil {
		return nil, fmt.Errorf("unable to build store request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("unable to read SES store: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unable to read SES store: status %d", resp.StatusCode)
	}
	var body struct {
		Emails []StoredEmail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("unable to decode SES store: %w", err)
	}
	return body.Emails, nil
}

// SentTo returns the stored e-mails with the mailbox addr (display names
// ignored) among To or CC.
func SentTo(emails []StoredEmail, addr string) []StoredEmail {
	var out []StoredEmail
	for _, e := range emails {
		for _, a := range append(append([]string{}, e.Destination.To...), e.Destination.CC...) {
			if parsed, err := mail.ParseAddress(a); err == nil && parsed.Address == addr {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
