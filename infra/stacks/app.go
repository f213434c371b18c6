package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Context keys (cdk -c key=value, or cdk.json) read by Build.
const (
	CtxBuildDir            = "buildDir"
	CtxMemberAccounts      = "memberAccounts"
	CtxOrganizationID      = "organizationId"
	CtxMemberRoleName      = "memberRoleName"
	CtxBusName             = "busName"
	CtxReservedConcurrency = "reservedConcurrency"
	CtxCentralStackName    = "centralStackName"
	CtxMemberStackName     = "memberStackName"

	DefaultCentralStackName = "AbuseDesk"
	DefaultMemberStackName  = "AbuseDeskMember"
)

// NewApp returns an app with the context abusedesk relies on: asset
// metadata stays in the template (sam local invoke reads aws:asset:path)
// and no version-reporting resource makes templates differ between hosts.
func NewApp(context map[string]interface{}, outdir string) awscdk.App {
	ctx := map[string]interface{}{
		"aws:cdk:enable-asset-metadata": true,
		"aws:cdk:version-reporting":     false,
		// Access logs are delivered under a bucket policy, so the log
		// bucket can keep ACLs disabled (BucketOwnerEnforced).
		"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true,
	}
	for k, v := range context {
		ctx[k] = v
	}
	props := &awscdk.AppProps{Context: &ctx, AnalyticsReporting: jsii.Bool(false)}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	return awscdk.NewApp(props)
}

// Build adds both stacks to app from its context and applies cdk-nag.
func Build(app awscdk.App) (*Central, *Member, error) {
	str := func(key, def string) string {
		v := app.Node().TryGetContext(jsii.String(key))
		if v == nil {
			return def
		}
		s := strings.TrimSpace(fmt.Sprint(v))
		if s == "" {
			return def
		}
		return s
	}
	var members []string
	for _, a := range strings.Split(str(CtxMemberAccounts, ""), ",") {
		if a = strings.TrimSpace(a); a != "" {
			members = append(members, a)
		}
	}
	reserved := str(CtxReservedConcurrency, "true")
	if reserved != "true" && reserved != "false" {
		return nil, nil, fmt.Errorf("unable to read context %s=%q: want true or false", CtxReservedConcurrency, reserved)
	}
	cfg := CentralConfig{
		BuildDir:              str(CtxBuildDir, "../build"),
		MemberAccounts:        members,
		OrganizationID:        str(CtxOrganizationID, ""),
		MemberRoleName:        str(CtxMemberRoleName, DefaultMemberRole),
		BusName:               str(CtxBusName, DefaultBusName),
		NoReservedConcurrency: reserved == "false",
	}
	central, err := NewCentral(app, str(CtxCentralStackName, DefaultCentralStackName), &awscdk.StackProps{
		Description: jsii.String("abusedesk central stack: AWS Health abuse/risk cases"),
	}, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("unable to build central stack: %w", err)
	}
	member := NewMember(app, str(CtxMemberStackName, DefaultMemberStackName), &awscdk.StackProps{
		Description: jsii.String("abusedesk member stack: read-only lookup role and Health event forwarding"),
	})
	ApplyNag(app)
	return central, member, nil
}
