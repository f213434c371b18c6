// Package config is the one place abusedesk's settings are named and read:
// the Lambdas read them from the environment, the CLI from flags that fall
// back to the same variables.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Modes.
const (
	ModeAWS  = "aws"
	ModeDemo = "demo"
)

// Environment variable names. The CDK stack sets exactly these.
const (
	EnvMode             = "ABUSEDESK_MODE"
	EnvOutboxDir        = "ABUSEDESK_OUTBOX_DIR"
	EnvTable            = "ABUSEDESK_TABLE"
	EnvBus              = "ABUSEDESK_BUS"
	EnvReportBucket     = "ABUSEDESK_REPORT_BUCKET"
	EnvAlertTopicARN    = "ABUSEDESK_ALERT_TOPIC_ARN"
	EnvSender           = "ABUSEDESK_SENDER"
	EnvSenderName       = "ABUSEDESK_SENDER_NAME"
	EnvConfigurationSet = "ABUSEDESK_CONFIGURATION_SET"
	EnvReplyTo          = "ABUSEDESK_REPLY_TO"
	EnvDefaultRecipient = "ABUSEDESK_DEFAULT_RECIPIENT"
	EnvMemberRoleName   = "ABUSEDESK_MEMBER_ROLE_NAME"
	EnvExternalID       = "ABUSEDESK_EXTERNAL_ID"
	EnvSESRegions       = "ABUSEDESK_SES_REGIONS"
	EnvTTLDays          = "ABUSEDESK_TTL_DAYS"
	// EnvContactsFile names a JSON contacts file for local runs (demo mode);
	// in AWS the contacts live in the table.
	EnvContactsFile = "ABUSEDESK_CONTACTS_FILE"
	// EnvRegion is set by the Lambda runtime; the CLI takes it from the
	// usual AWS configuration.
	EnvRegion = "AWS_REGION"
	// EnvIntakeRegions lists where CSV-imported addresses are looked up
	// (comma-separated); the function's own region when unset.
	EnvIntakeRegions = "ABUSEDESK_INTAKE_REGIONS"
)

// Config is the whole configuration.
type Config struct {
	Mode             string
	OutboxDir        string
	Table            string
	Bus              string
	ReportBucket     string
	AlertTopicARN    string
	Sender           string
	SenderName       string
	ConfigurationSet string
	ReplyTo          []string
	DefaultRecipient []string
	MemberRoleName   string
	ExternalID       string
	SESRegions       []string
	TTLDays          int
	ContactsFile     string
	Region           string
	IntakeRegions    []string
}

// FromEnv reads the configuration from the environment via getenv.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Config{
		Mode:             strings.ToLower(strings.TrimSpace(getenv(EnvMode))),
		OutboxDir:        getenv(EnvOutboxDir),
		Table:            getenv(EnvTable),
		Bus:              getenv(EnvBus),
		ReportBucket:     getenv(EnvReportBucket),
		AlertTopicARN:    getenv(EnvAlertTopicARN),
		Sender:           getenv(EnvSender),
		SenderName:       getenv(EnvSenderName),
		ConfigurationSet: getenv(EnvConfigurationSet),
		ReplyTo:          list(getenv(EnvReplyTo)),
		DefaultRecipient: list(getenv(EnvDefaultRecipient)),
		MemberRoleName:   getenv(EnvMemberRoleName),
		ExternalID:       getenv(EnvExternalID),
		SESRegions:       list(getenv(EnvSESRegions)),
		TTLDays:          400,
		ContactsFile:     getenv(EnvContactsFile),
		Region:           getenv(EnvRegion),
		IntakeRegions:    list(getenv(EnvIntakeRegions)),
	}
	if c.Mode == "" {
		c.Mode = ModeAWS
	}
	if c.OutboxDir == "" {
		c.OutboxDir = "/tmp/abusedesk"
	}
	if c.MemberRoleName == "" {
		c.MemberRoleName = "AbuseDeskReadOnly"
	}
	if c.Sender == "" && c.Mode == ModeDemo {
		c.Sender = "abuse-desk@msp.example"
	}
	if len(c.IntakeRegions) == 0 && c.Region != "" {
		c.IntakeRegions = []string{c.Region}
	}
	if c.SenderName == "" {
		c.SenderName = "abusedesk"
	}
	if v := getenv(EnvTTLDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("unable to read %s=%q: want a positive number of days", EnvTTLDays, v)
		}
		c.TTLDays = n
	}
	switch c.Mode {
	case ModeAWS, ModeDemo:
	default:
		return c, fmt.Errorf("unable to read %s=%q: want %q or %q", EnvMode, c.Mode, ModeAWS, ModeDemo)
	}
	return c, nil
}

// Require checks that the named settings are present, for the stage that
// needs them, and names every missing one at once.
func (c Config) Require(names ...string) error {
	vals := map[string]string{
		EnvTable: c.Table, EnvBus: c.Bus, EnvReportBucket: c.ReportBucket, EnvAlertTopicARN: c.AlertTopicARN,
		EnvSender: c.Sender, EnvExternalID: c.ExternalID,
	}
	var missing []string
	for _, n := range names {
		if vals[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("unable to start: missing configuration %s", strings.Join(missing, ", "))
	}
	return nil
}

func list(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
