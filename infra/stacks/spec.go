// Package stacks defines the abusedesk CDK stacks: the central stack (event
// bus, rules, functions, table, topic, report bucket) and the member stack
// (read-only role plus forwarding rule) that every customer account gets.
package stacks

import "time"

// Event names shared with the Lambda mains; the rule patterns below must match
// what the functions emit, so they live in one place.
const (
	EventSource         = "abusedesk"
	DetailCaseOpened    = "Case Opened"
	DetailCaseEnriched  = "Case Enriched"
	DetailCaseNotified  = "Case Notified"
	HealthSource        = "aws.health"
	HealthEventType     = "AWS Health Event"
	HealthAbuseType     = "AWS Health Abuse Event"
	DefaultBusName      = "abusedesk"
	DefaultMemberRole   = "AbuseDeskReadOnly"
	TablePartitionKey   = "pk"
	TableSortKey        = "sk"
	TableTTLAttribute   = "ttl"
	ReportPrefix        = "reports/"
	IntakePrefix        = "intake/"
	DefaultSESRegions   = "us-east-1"
	bootstrapName       = "bootstrap"
	functionLogRetainDy = 90
)

// HealthServices are the detail.service values that carry abuse and risk
// notifications. Both detail-types are needed: abuse notices arrive as
// "AWS Health Abuse Event", exposed-credential risks as "AWS Health Event".
var HealthServices = []string{"ABUSE", "RISK"}

// HealthDetailTypes is the detail-type list every Health rule matches.
var HealthDetailTypes = []string{HealthAbuseType, HealthEventType}

// FunctionSpec describes one Lambda and exactly what it may touch; the IAM
// policy is derived from these flags so that granting a capability is a
// one-line, reviewable change.
type FunctionSpec struct {
	// Name is the directory under functions/ and build/.
	Name        string
	Description string
	MemoryMB    float64
	Timeout     time.Duration
	// ReservedConcurrency caps parallelism where a downstream limit would
	// otherwise be exhausted; 0 leaves the function on the unreserved pool.
	ReservedConcurrency float64
	// TriggerDetailType is the custom-bus detail-type that invokes the
	// function; empty (and no S3Intake) means AWS Health events trigger it.
	TriggerDetailType string
	// S3Intake means uploads under the report bucket's intake/ prefix
	// trigger the function (S3 event notifications, events.S3Event).
	S3Intake bool
	// Emits is the only detail-type the function may put on the bus.
	Emits string

	AssumesMemberRole bool
	SendsEmail        bool
	PublishesAlerts   bool
	WritesReports     bool
	ReadsIntake       bool
}

// Functions are the stages deployed by the central stack, in pipeline order.
var Functions = []FunctionSpec{
	{
		Name:        "ingest",
		Description: "abusedesk ingest: AWS Health abuse/risk event to case",
		MemoryMB:    256,
		Timeout:     30 * time.Second,
		// Ingest only writes to on-demand DynamoDB; a cap still stops an
		// event storm from starving the rest of the account.
		ReservedConcurrency: 10,
		Emits:               DetailCaseOpened,
	},
	{
		Name:              "enrich",
		Description:       "abusedesk enrich: member-account lookups and scoring",
		MemoryMB:          512,
		Timeout:           2 * time.Minute,
		TriggerDetailType: DetailCaseOpened,
		// Lookups hit per-account API limits in the member accounts
		// (CloudTrail LookupEvents allows 2 requests/s per account and
		// region); few concurrent enrichments keep them under it.
		ReservedConcurrency: 4,
		Emits:               DetailCaseEnriched,
		AssumesMemberRole:   true,
		WritesReports:       true,
	},
	{
		Name:              "notify",
		Description:       "abusedesk notify: report and e-mail the account owner",
		MemoryMB:          256,
		Timeout:           time.Minute,
		TriggerDetailType: DetailCaseEnriched,
		// SES sending quotas are per second per account; two senders stay
		// below the smallest production quota.
		ReservedConcurrency: 2,
		Emits:               DetailCaseNotified,
		SendsEmail:          true,
		PublishesAlerts:     true,
		WritesReports:       true,
	},
	{
		Name:        "csvimport",
		Description: "abusedesk csvimport: uploaded resource lists to enriched cases",
		MemoryMB:    512,
		Timeout:     5 * time.Minute,
		S3Intake:    true,
		// Same member-account API limits as enrich.
		ReservedConcurrency: 2,
		Emits:               DetailCaseEnriched,
		AssumesMemberRole:   true,
		WritesReports:       true,
		ReadsIntake:         true,
	},
}
