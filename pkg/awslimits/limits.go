// Package awslimits is the one place for the AWS service limits abusedesk
// designs around. Each value names where it comes from so it can be
// re-checked when AWS changes a quota; adapters take them as defaults and
// let configuration override the ones AWS lets accounts raise.
package awslimits

import "time"

// SNS Publish.
const (
	// SNSSubjectMaxChars: "less than 100 characters", so 99 is the longest
	// accepted subject (Publish API reference, Subject).
	SNSSubjectMaxChars = 99
	// SNSMessageMaxBytes is the default topic limit, 256 KiB. AWS counts
	// the message body and the message attributes together against it and
	// answers InvalidParameter above it. A topic's MaximumMessageSize
	// attribute can raise it to SNSMessageMaxBytesRaised.
	SNSMessageMaxBytes       = 262144
	SNSMessageMaxBytesRaised = 1048576
	// SNSMaxMessageAttributes per Publish.
	SNSMaxMessageAttributes = 10
)

// EventBridge PutEvents.
const (
	// EventBridgeBatchMaxEntries per PutEvents request.
	EventBridgeBatchMaxEntries = 10
	// EventBridgeEntryMaxBytes is the PutEvents limit: the entries of one
	// request must total less than this. AWS raised it from 256 KB
	// (EventBridgeEntryMaxBytesLegacy) to 1 MB; some partitions and
	// targets may still enforce the old value, hence it is configurable.
	EventBridgeEntryMaxBytes       = 1048576
	EventBridgeEntryMaxBytesLegacy = 262144
	// EventBridgeTimeBytes is what a set Time counts for in the entry size
	// ("Calculating PutEvents event entry size").
	EventBridgeTimeBytes = 14
)

// SES.
const (
	// SESMaxRecipients per message (To + CC + BCC).
	SESMaxRecipients = 50
	// SESSandboxMaxSendRate is the sandbox account's messages per second,
	// used when GetAccount cannot be asked.
	SESSandboxMaxSendRate = 1.0
	// SESv2MaxMessageBytes is the SES v2 API message size limit (40 MB).
	SESv2MaxMessageBytes = 40 << 20
	// SESGetSendStatisticsPerSecond: SES v1 GetSendStatistics allows one
	// call per second.
	SESGetSendStatisticsPerSecond = 1.0
)

// CloudTrail LookupEvents.
const (
	// CloudTrailLookupEventsPerSecond per account per region.
	CloudTrailLookupEventsPerSecond = 2.0
	// CloudTrailLookupEventsPageMax is the largest MaxResults.
	CloudTrailLookupEventsPageMax = 50
	// CloudTrailLookupEventsWindow: LookupEvents only sees the last 90 days.
	CloudTrailLookupEventsWindow = 90 * 24 * time.Hour
)

// DynamoDB.
const (
	// DynamoDBItemMaxBytes is the item size limit (names and values).
	DynamoDBItemMaxBytes = 400 * 1024
)
