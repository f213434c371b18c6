package dynamo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/abusedesk/abusedesk/internal/notifytest"
	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/store/dynamo"
)

// fakeDynamo answers every call with one documented awsJson1.0 error.
func fakeDynamo(t *testing.T, status int, body string) (*dynamo.Table, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(srv.URL), Region: notifytest.Region, Credentials: notifytest.Credentials(),
		RetryMaxAttempts: 1,
	})
	return dynamo.New(client, "t", dynamo.Options{}), &calls
}

// Real DynamoDB returns the existing item with the condition failure when
// ReturnValuesOnConditionCheckFailure=ALL_OLD; the claim loser then needs
// no second read.
func TestClaimUsesItemReturnedWithConditionFailure(t *testing.T) {
	t.Parallel()
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed",` +
		`"Item":{"pk":{"S":"CASE#c1"},"sk":{"S":"NOTIFY#000001#email#a@example.com"},"state":{"S":"sent"},"messageId":{"S":"0100-abc"},"updated":{"S":"2026-03-01T09:00:00Z"}}}`
	store, calls := fakeDynamo(t, http.StatusBadRequest, body)
	k := notify.LedgerKey{CaseID: "c1", Revision: 1, Channel: "email", Recipient: "a@example.com"}
	won, e, err := store.Claim(context.Background(), k, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if won || e.State != notify.StateSent || e.MessageID != "0100-abc" {
		t.Fatalf("Claim = %v %+v", won, e)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		run  func(*dynamo.Table) error
		is   error
	}{
		{"save conflict", `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`,
			func(s *dynamo.Table) error {
				return s.Save(context.Background(), &cases.Case{ID: "c", Revisions: []cases.Revision{{N: 1}, {N: 2}}}, 1)
			}, cases.ErrConflict},
		{"access denied", `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User: arn:aws:sts::1:assumed-role/x is not authorized"}`,
			func(s *dynamo.Table) error { _, err := s.Load(context.Background(), "c"); return err }, awsx.ErrAccessDenied},
		{"missing table", `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`,
			func(s *dynamo.Table) error {
				_, _, err := s.Claim(context.Background(), notify.LedgerKey{CaseID: "c", Revision: 1, Channel: "sns", Recipient: "x"}, time.Now())
				return err
			}, awsx.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := fakeDynamo(t, http.StatusBadRequest, tt.body)
			err := tt.run(store)
			if !errors.Is(err, tt.is) || !strings.HasPrefix(err.Error(), "unable to ") {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
		})
	}
}
