// Package evidence holds what the automatic lookups found in an affected
// account. The same types come from the real AWS adapters and from the
// embedded demo account, and go verbatim into the JSON report's raw section.
// Nothing here may hold a secret: access keys appear by id only.
package evidence

import (
	"time"

	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

// Instance is an EC2 instance named by the event or found behind an IP.
type Instance struct {
	ID                 string            `json:"id"`
	Region             string            `json:"region"`
	State              string            `json:"state,omitempty"`
	Type               string            `json:"type,omitempty"`
	LaunchTime         time.Time         `json:"launchTime,omitzero"`
	KeyName            string            `json:"keyName,omitempty"`
	InstanceProfileARN string            `json:"instanceProfileArn,omitempty"`
	ImageID            string            `json:"imageId,omitempty"`
	VPCID              string            `json:"vpcId,omitempty"`
	PublicIPs          []string          `json:"publicIps,omitempty"`
	PrivateIPs         []string          `json:"privateIps,omitempty"`
	SecurityGroupIDs   []string          `json:"securityGroupIds,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// NetworkInterface is how a public IP is tied to its owner: instances, load
// balancers, NAT gateways and Lambda functions all surface as ENIs.
type NetworkInterface struct {
	ID               string   `json:"id"`
	Region           string   `json:"region"`
	PublicIP         string   `json:"publicIp,omitempty"`
	PrivateIP        string   `json:"privateIp,omitempty"`
	InterfaceType    string   `json:"interfaceType,omitempty"`
	Description      string   `json:"description,omitempty"`
	RequesterID      string   `json:"requesterId,omitempty"`
	RequesterManaged bool     `json:"requesterManaged,omitempty"`
	InstanceID       string   `json:"instanceId,omitempty"`
	OwnerID          string   `json:"ownerId,omitempty"`
	VPCID            string   `json:"vpcId,omitempty"`
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
}

// SecurityGroup keeps only what matters to an abuse desk: the inbound rules
// open to the whole internet.
type SecurityGroup struct {
	ID          string     `json:"id"`
	Region      string     `json:"region"`
	Name        string     `json:"name,omitempty"`
	Description string     `json:"description,omitempty"`
	VPCID       string     `json:"vpcId,omitempty"`
	OpenIngress []OpenRule `json:"openIngress,omitempty"`
}

// OpenRule is an inbound rule open to 0.0.0.0/0 or ::/0. Protocol "-1"
// means all traffic; ports are then 0..65535.
type OpenRule struct {
	Protocol string `json:"protocol"`
	FromPort int32  `json:"fromPort"`
	ToPort   int32  `json:"toPort"`
	CIDR     string `json:"cidr"`
}

// Covers reports whether the rule admits TCP traffic to port.
func (r OpenRule) Covers(port int32) bool {
	if r.Protocol == "-1" || r.Protocol == "all" {
		return true
	}
	if r.Protocol != "tcp" && r.Protocol != "6" {
		return false
	}
	return r.FromPort <= port && port <= r.ToPort
}

// AccessKey is an IAM access key by id, never with its secret.
type AccessKey struct {
	ID              string     `json:"id"`
	UserName        string     `json:"userName,omitempty"`
	Status          string     `json:"status,omitempty"`
	Created         time.Time  `json:"created,omitzero"`
	LastUsed        *time.Time `json:"lastUsed,omitempty"`
	LastUsedService string     `json:"lastUsedService,omitempty"`
	LastUsedRegion  string     `json:"lastUsedRegion,omitempty"`
}

// Policy is a managed or inline policy reachable by a principal.
type Policy struct {
	Name  string `json:"name"`
	ARN   string `json:"arn,omitempty"`
	Via   string `json:"via,omitempty"` // "user", "group:<name>", "role:<name>"
	Admin bool   `json:"admin,omitempty"`
	// Quarantine marks AWS's own AWSCompromisedKeyQuarantine* policies.
	Quarantine bool `json:"quarantine,omitempty"`
}

// User is an IAM user with everything a compromise review asks about.
type User struct {
	Name             string      `json:"name"`
	ARN              string      `json:"arn,omitempty"`
	Created          time.Time   `json:"created,omitzero"`
	PasswordLastUsed *time.Time  `json:"passwordLastUsed,omitempty"`
	AccessKeys       []AccessKey `json:"accessKeys,omitempty"`
	MFADevices       []string    `json:"mfaDevices,omitempty"`
	LoginProfile     bool        `json:"loginProfile"`
	LoginCreated     *time.Time  `json:"loginProfileCreated,omitempty"`
	Groups           []string    `json:"groups,omitempty"`
	Policies         []Policy    `json:"policies,omitempty"`
}

// Function is a Lambda function that may serve as a backdoor.
type Function struct {
	Name            string    `json:"name"`
	ARN             string    `json:"arn"`
	Region          string    `json:"region"`
	Runtime         string    `json:"runtime,omitempty"`
	Role            string    `json:"role,omitempty"`
	LastModified    time.Time `json:"lastModified,omitzero"`
	RoleCanWriteIAM bool      `json:"roleCanWriteIam,omitempty"`
	URLAuthNone     bool      `json:"urlAuthNone,omitempty"`
	PublicPolicy    bool      `json:"publicPolicy,omitempty"`
}

// API is an API Gateway REST (v1) or HTTP (v2) API.
type API struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Kind      string    `json:"kind"` // "REST" or "HTTP"
	Region    string    `json:"region"`
	Created   time.Time `json:"created,omitzero"`
	Functions []string  `json:"functions,omitempty"` // integrated Lambda ARNs
}

// Serverless is the backdoor hunt's result in one region.
type Serverless struct {
	Region    string     `json:"region"`
	Functions []Function `json:"functions,omitempty"`
	APIs      []API      `json:"apis,omitempty"`
}

// RecentIAM is the account-wide hunt for recently created users and keys.
type RecentIAM struct {
	Since time.Time   `json:"since"`
	Users []User      `json:"users,omitempty"`
	Keys  []AccessKey `json:"keys,omitempty"`
}

// TrailQuery asks CloudTrail LookupEvents for one attribute in a window.
type TrailQuery struct {
	Attribute string    `json:"attribute"` // AccessKeyId, Username, ResourceName, ...
	Value     string    `json:"value"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// TrailResult is what LookupEvents returned for one query in one region.
type TrailResult struct {
	Region    string              `json:"region"`
	Query     TrailQuery          `json:"query"`
	Records   []cloudtrail.Record `json:"records,omitempty"`
	Pages     int                 `json:"pages"`
	Truncated bool                `json:"truncated,omitempty"`
	Skipped   int                 `json:"skipped,omitempty"` // unparseable CloudTrailEvent strings
}

// Gap records a lookup that could not be done, so the report says what it
// does not know instead of failing the case.
type Gap struct {
	Lookup string `json:"lookup"`
	Target string `json:"target,omitempty"`
	Region string `json:"region,omitempty"`
	Reason string `json:"reason"`
}

// Bundle is everything enrichment found for one case.
type Bundle struct {
	Instances  []Instance         `json:"instances,omitempty"`
	Interfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
	Groups     []SecurityGroup    `json:"securityGroups,omitempty"`
	KeyOwners  []AccessKey        `json:"accessKeyOwners,omitempty"`
	Users      []User             `json:"users,omitempty"`
	RecentIAM  *RecentIAM         `json:"recentIam,omitempty"`
	Serverless []Serverless       `json:"serverless,omitempty"`
	Trail      []TrailResult      `json:"cloudtrail,omitempty"`
	SES        []sesrep.Report    `json:"ses,omitempty"`
	// UnmatchedIPs were named by the event but no ENI in the account holds
	// them (released, or another account's).
	UnmatchedIPs []string `json:"unmatchedIps,omitempty"`
	Gaps         []Gap    `json:"gaps,omitempty"`
}
