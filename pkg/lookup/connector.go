// Package lookup holds the real AWS adapters behind pkg/enrich's lookup
// interfaces: it opens an affected account (assuming the member role, or
// same-account mode) and queries EC2, IAM, Lambda, API Gateway and
// CloudTrail in the regions a case touches.
package lookup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/sesrep/sesaws"
)

// Options configure a Connector.
type Options struct {
	// RoleName is the read-only member role created by the member-account
	// stack; ExternalID guards it against the confused deputy.
	RoleName   string
	ExternalID string
	// Partition builds role ARNs; default "aws".
	Partition string
	// SelfAccount is the account we run in. Empty means ask
	// sts:GetCallerIdentity once.
	SelfAccount string
	// SessionDuration of assumed-role credentials; default and minimum 15 min.
	SessionDuration time.Duration
	// ExpiryWindow refreshes credentials this long before they expire, so a
	// lookup never starts with credentials about to lapse; default 2 min.
	ExpiryWindow time.Duration
	// TrailPageCap caps LookupEvents pages per query; default 5.
	TrailPageCap int
	// TrailLimiter paces LookupEvents per account and region; default the
	// process-wide SharedTrailLimiter.
	TrailLimiter *TrailLimiter
	// Fanout bounds the concurrent calls one lookup makes (User's per-key
	// calls, Hunt's per-function calls); default 12.
	Fanout int
	// SES builds the SES reputation reader for an account's config and id;
	// nil means sesaws.NewReader with the account's shared limiters.
	SES func(cfg aws.Config, accountID string) enrich.SES
}

const (
	defaultSessionDuration = 15 * time.Minute
	defaultExpiryWindow    = 2 * time.Minute
	defaultTrailPageCap    = 5
	defaultFanout          = 12
)

// stsAPI is what the connector calls on STS.
type stsAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	stscreds.AssumeRoleAPIClient
}

// Connector opens affected accounts. It is safe for concurrent use and meant
// to live as long as the process, so credentials and clients are reused.
type Connector struct {
	cfg  aws.Config
	opts Options
	sts  stsAPI

	mu       sync.Mutex
	self     string
	sessions map[string]*session
}

var _ enrich.Connector = (*Connector)(nil)

// New returns a Connector using cfg's credentials to call STS in cfg's
// region (the SDK's STS client resolves the regional endpoint, never the
// global one).
func New(cfg aws.Config, opts Options) (*Connector, error) {
	if cfg.Region == "" {
		return nil, errors.New("unable to create connector: no region (STS must use a regional endpoint)")
	}
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	if opts.SessionDuration < defaultSessionDuration {
		opts.SessionDuration = defaultSessionDuration
	}
	if opts.ExpiryWindow <= 0 {
		opts.ExpiryWindow = defaultExpiryWindow
	}
	if opts.TrailPageCap <= 0 {
		opts.TrailPageCap = defaultTrailPageCap
	}
	if opts.TrailLimiter == nil {
		opts.TrailLimiter = SharedTrailLimiter
	}
	if opts.Fanout <= 0 {
		opts.Fanout = defaultFanout
	}
	if opts.SelfAccount != "" && !accountRE.MatchString(opts.SelfAccount) {
		return nil, fmt.Errorf("unable to create connector: self account %q is not 12 digits", opts.SelfAccount)
	}
	return &Connector{
		cfg:      cfg,
		opts:     opts,
		sts:      sts.NewFromConfig(cfg),
		self:     opts.SelfAccount,
		sessions: map[string]*session{},
	}, nil
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// session is one case's way into one account: its credentials cache and the
// regional clients built on it. Credentials are cached per account and case
// so the member account's CloudTrail names the case that looked.
type session struct {
	account  *enrich.Account
	lastUsed time.Time
}

// Connect opens accountID for caseID. It assumes the member role right away
// so that a removed or misconfigured role surfaces here, classified as
// awsx.ErrAccessDenied, instead of as a gap on every lookup.
func (c *Connector) Connect(ctx context.Context, accountID, caseID string) (*enrich.Account, error) {
	if !accountRE.MatchString(accountID) {
		return nil, fmt.Errorf("unable to open account %q: not a 12-digit account id", accountID)
	}
	self, err := c.selfAccount(ctx)
	if err != nil {
		return nil, err
	}
	name := SessionName(caseID)
	key := accountID + "/" + name

	c.mu.Lock()
	c.pruneLocked(time.Now())
	s, ok := c.sessions[key]
	if ok {
		s.lastUsed = time.Now()
		c.mu.Unlock()
		return s.account, nil
	}
	c.mu.Unlock()

	cfg := c.cfg.Copy()
	access := "same-account"
	if accountID != self {
		if c.opts.RoleName == "" {
			return nil, fmt.Errorf("unable to open account %s: no member role configured: %w", accountID, awsx.ErrAccessDenied)
		}
		access = "assumed-role"
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", c.opts.Partition, accountID, c.opts.RoleName)
		provider := stscreds.NewAssumeRoleProvider(c.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = name
			o.Duration = c.opts.SessionDuration
			if c.opts.ExternalID != "" {
				o.ExternalID = aws.String(c.opts.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = c.opts.ExpiryWindow
		})
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return nil, fmt.Errorf("unable to assume role %s: %w", roleARN, awsx.Classify(err))
		}
	}
	acct := c.newAccount(cfg, accountID, access)

	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sessions[key]; ok {
		// A concurrent Connect for the same case won; share its clients.
		return s.account, nil
	}
	c.sessions[key] = &session{account: acct, lastUsed: time.Now()}
	return acct, nil
}

// pruneLocked drops sessions idle for longer than their credentials live, so
// a long-running process does not keep every case it ever saw.
func (c *Connector) pruneLocked(now time.Time) {
	for k, s := range c.sessions {
		if now.Sub(s.lastUsed) > c.opts.SessionDuration {
			delete(c.sessions, k)
		}
	}
}

// selfAccount asks STS who we are once; failures are not cached so a
// transient error does not stick for the life of the process.
func (c *Connector) selfAccount(ctx context.Context) (string, error) {
	c.mu.Lock()
	self := c.self
	c.mu.Unlock()
	if self != "" {
		return self, nil
	}
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("unable to identify own account: %w", awsx.Classify(err))
	}
	self = aws.ToString(out.Account)
	c.mu.Lock()
	c.self = self
	c.mu.Unlock()
	return self, nil
}

func (c *Connector) newAccount(cfg aws.Config, accountID, access string) *enrich.Account {
	iamA := newIAM(cfg, c.opts.Fanout)
	acct := &enrich.Account{
		ID:         accountID,
		Access:     access,
		EC2:        newEC2(cfg),
		IAM:        iamA,
		Serverless: newServerless(cfg, iamA, c.opts.Fanout),
		Trail:      newTrail(cfg, accountID, c.opts.TrailLimiter, c.opts.TrailPageCap),
	}
	if c.opts.SES != nil {
		acct.SES = c.opts.SES(cfg, accountID)
	} else {
		acct.SES = sesaws.NewReader(cfg, sesaws.WithAccount(accountID))
	}
	return acct
}

// SessionName derives the role session name from a case id: always
// 2–64 characters of [\w+=,.@-], and unique per case, because a lossy
// rewrite (replaced characters or clipping) gets a hash of the original id.
func SessionName(caseID string) string {
	const prefix, maxLen = "abusedesk-", 64
	var b strings.Builder
	lossy := false
	for _, r := range caseID {
		if r < 0x80 && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) {
			b.WriteRune(r)
			continue
		}
		b.WriteByte('-')
		lossy = true
	}
	clean := b.String()
	if caseID == "" {
		clean, lossy = "case", true
	}
	name := prefix + clean
	if !lossy && len(name) <= maxLen {
		return name
	}
	sum := sha256.Sum256([]byte(caseID))
	suffix := "-" + hex.EncodeToString(sum[:6])
	if len(name) > maxLen-len(suffix) {
		name = name[:maxLen-len(suffix)]
	}
	return name + suffix
}

// regional caches one client per region; the zero value is not usable.
type regional[T any] struct {
	mu      sync.Mutex
	clients map[string]T
	build   func(region string) T
}

func newRegional[T any](build func(region string) T) *regional[T] {
	return &regional[T]{clients: map[string]T{}, build: build}
}

func (r *regional[T]) get(region string) T {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[region]; ok {
		return c
	}
	c := r.build(region)
	r.clients[region] = c
	return c
}

// checkRegion keeps attacker-controlled text out of endpoint host names.
func checkRegion(region string) error {
	if !awsx.ValidRegion(region) {
		return fmt.Errorf("unable to use region %q: not a region name", region)
	}
	return nil
}
