package lookup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/iampolicy"
)

// iamAPI is what the IAM adapter calls.
type iamAPI interface {
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	ListMFADevices(ctx context.Context, in *iam.ListMFADevicesInput, optFns ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	GetUserPolicy(ctx context.Context, in *iam.GetUserPolicyInput, optFns ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListAttachedGroupPolicies(ctx context.Context, in *iam.ListAttachedGroupPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error)
	ListGroupPolicies(ctx context.Context, in *iam.ListGroupPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error)
	GetGroupPolicy(ctx context.Context, in *iam.GetGroupPolicyInput, optFns ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, optFns ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// IAM implements enrich.IAM. IAM is global; the client signs for the
// connector's home region, which resolves to the partition's IAM endpoint.
type IAM struct {
	api iamAPI
	sem chan struct{}

	mu       sync.Mutex
	managed  map[string]*verdict // policy ARN -> verdict
	roleIAMW map[string]*verdict // role name -> can write IAM
}

// verdict is a memoised policy analysis shared by concurrent callers.
type verdict struct {
	once   sync.Once
	admin  bool
	writes bool
	err    error
}

func newIAM(cfg aws.Config, fanout int) *IAM {
	return &IAM{
		api:      iam.NewFromConfig(cfg),
		sem:      make(chan struct{}, fanout),
		managed:  map[string]*verdict{},
		roleIAMW: map[string]*verdict{},
	}
}

// call runs one AWS call under the fan-out bound. The slot is held only for
// the call itself, never while waiting on other calls, so nested fan-out
// cannot deadlock.
func (a *IAM) call(ctx context.Context, fn func() error) error {
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.sem }()
	return fn()
}

// AccessKeyOwner asks GetAccessKeyLastUsed, which names the owning user and
// works for any key id in the account, active or not.
func (a *IAM) AccessKeyOwner(ctx context.Context, keyID string) (evidence.AccessKey, error) {
	key := evidence.AccessKey{ID: keyID}
	if !validKeyID(keyID) {
		return key, fmt.Errorf("unable to look up access key %q: not an access key id: %w", keyID, awsx.ErrNotFound)
	}
	var out *iam.GetAccessKeyLastUsedOutput
	err := a.call(ctx, func() (err error) {
		out, err = a.api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
		return err
	})
	if err != nil {
		return key, fmt.Errorf("unable to look up access key %s: %w", keyID, awsx.Classify(err))
	}
	key.UserName = aws.ToString(out.UserName)
	if key.UserName == "" {
		return key, fmt.Errorf("unable to look up access key %s: no owner: %w", keyID, awsx.ErrNotFound)
	}
	setLastUsed(&key, out.AccessKeyLastUsed)
	return key, nil
}

func validKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z') {
			return false
		}
	}
	return true
}

// setLastUsed copies last use; IAM says "N/A" for never-used keys.
func setLastUsed(k *evidence.AccessKey, lu *types.AccessKeyLastUsed) {
	if lu == nil {
		return
	}
	if lu.LastUsedDate != nil {
		t := *lu.LastUsedDate
		k.LastUsed = &t
	}
	if s := aws.ToString(lu.ServiceName); s != "N/A" {
		k.LastUsedService = s
	}
	if r := aws.ToString(lu.Region); r != "N/A" {
		k.LastUsedRegion = r
	}
}

// User gathers everything about a user concurrently: its keys (each with its
// last use), MFA devices, login profile, and the policies reachable through
// the user and its groups. Any failed part fails the whole lookup, because a
// partial user (say, MFA unknown) would read as a risk that is not there.
func (a *IAM) User(ctx context.Context, name string) (evidence.User, error) {
	u := evidence.User{Name: name}
	g, ctx := errgroup.WithContext(ctx)
	var mu sync.Mutex // guards u's slices
	addPolicy := func(p evidence.Policy, _ bool) {
		mu.Lock()
		u.Policies = append(u.Policies, p)
		mu.Unlock()
	}
	g.Go(func() error {
		return a.call(ctx, func() error {
			out, err := a.api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
			if err != nil {
				return err
			}
			if out.User != nil {
				mu.Lock()
				u.ARN = aws.ToString(out.User.Arn)
				u.Created = aws.ToTime(out.User.CreateDate)
				if out.User.PasswordLastUsed != nil {
					t := *out.User.PasswordLastUsed
					u.PasswordLastUsed = &t
				}
				mu.Unlock()
			}
			return nil
		})
	})
	g.Go(func() error {
		keys, err := a.listKeys(ctx, name)
		if err != nil {
			return err
		}
		kg, kctx := errgroup.WithContext(ctx)
		for i := range keys {
			kg.Go(func() error {
				return a.call(kctx, func() error {
					out, err := a.api.GetAccessKeyLastUsed(kctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keys[i].ID)})
					if err != nil {
						return err
					}
					setLastUsed(&keys[i], out.AccessKeyLastUsed)
					return nil
				})
			})
		}
		if err := kg.Wait(); err != nil {
			return err
		}
		mu.Lock()
		u.AccessKeys = keys
		mu.Unlock()
		return nil
	})
	g.Go(func() error {
		p := iam.NewListMFADevicesPaginator(a.api, &iam.ListMFADevicesInput{UserName: aws.String(name)})
		return eachPage(ctx, a, p, func(page *iam.ListMFADevicesOutput) {
			mu.Lock()
			for _, d := range page.MFADevices {
				u.MFADevices = append(u.MFADevices, aws.ToString(d.SerialNumber))
			}
			mu.Unlock()
		})
	})
	g.Go(func() error {
		return a.call(ctx, func() error {
			out, err := a.api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(name)})
			var nse *types.NoSuchEntityException
			if errors.As(err, &nse) {
				return nil // no console password: exactly what we want to know
			}
			if err != nil {
				return err
			}
			mu.Lock()
			u.LoginProfile = true
			if out.LoginProfile != nil && out.LoginProfile.CreateDate != nil {
				t := *out.LoginProfile.CreateDate
				u.LoginCreated = &t
			}
			mu.Unlock()
			return nil
		})
	})
	g.Go(func() error { return a.principalPolicies(ctx, principal{kind: "user", name: name}, addPolicy) })
	g.Go(func() error {
		p := iam.NewListGroupsForUserPaginator(a.api, &iam.ListGroupsForUserInput{UserName: aws.String(name)})
		gg, gctx := errgroup.WithContext(ctx)
		err := eachPage(ctx, a, p, func(page *iam.ListGroupsForUserOutput) {
			for _, grp := range page.Groups {
				gname := aws.ToString(grp.GroupName)
				mu.Lock()
				u.Groups = append(u.Groups, gname)
				mu.Unlock()
				gg.Go(func() error { return a.principalPolicies(gctx, principal{kind: "group", name: gname}, addPolicy) })
			}
		})
		if err != nil {
			return err
		}
		return gg.Wait()
	})
	if err := g.Wait(); err != nil {
		return evidence.User{Name: name}, fmt.Errorf("unable to look up IAM user %s: %w", name, awsx.Classify(err))
	}
	// Concurrency scrambles order; reports must be deterministic.
	slices.Sort(u.Groups)
	slices.Sort(u.MFADevices)
	slices.SortFunc(u.Policies, func(x, y evidence.Policy) int {
		if c := strings.Compare(x.Via, y.Via); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	})
	return u, nil
}

func (a *IAM) listKeys(ctx context.Context, user string) ([]evidence.AccessKey, error) {
	var keys []evidence.AccessKey
	p := iam.NewListAccessKeysPaginator(a.api, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	err := eachPage(ctx, a, p, func(page *iam.ListAccessKeysOutput) {
		for _, k := range page.AccessKeyMetadata {
			keys = append(keys, evidence.AccessKey{
				ID:       aws.ToString(k.AccessKeyId),
				UserName: aws.ToString(k.UserName),
				Status:   string(k.Status),
				Created:  aws.ToTime(k.CreateDate),
			})
		}
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

type principal struct{ kind, name string } // kind: user, group, role

func (p principal) via() string {
	if p.kind == "user" {
		return "user"
	}
	return p.kind + ":" + p.name
}

// principalPolicies lists a principal's attached and inline policies and
// judges each one, concurrently: add gets the policy and whether it grants
// an IAM write call.
func (a *IAM) principalPolicies(ctx context.Context, pr principal, add func(p evidence.Policy, writesIAM bool)) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		attached, err := a.listAttached(ctx, pr)
		if err != nil {
			return err
		}
		pg, pctx := errgroup.WithContext(ctx)
		for _, ap := range attached {
			pg.Go(func() error {
				pol := evidence.Policy{Name: aws.ToString(ap.PolicyName), ARN: aws.ToString(ap.PolicyArn), Via: pr.via()}
				v := a.managedVerdict(pctx, pol.ARN)
				if v.err != nil {
					return v.err
				}
				pol.Admin = v.admin
				pol.Quarantine = isQuarantine(pol.ARN)
				add(pol, v.writes)
				return nil
			})
		}
		return pg.Wait()
	})
	g.Go(func() error {
		names, err := a.listInline(ctx, pr)
		if err != nil {
			return err
		}
		pg, pctx := errgroup.WithContext(ctx)
		for _, n := range names {
			pg.Go(func() error {
				doc, err := a.inlineDoc(pctx, pr, n)
				if err != nil {
					return err
				}
				pol := evidence.Policy{Name: n, Via: pr.via()}
				writes := false
				if d, err := iampolicy.Parse(doc); err == nil {
					pol.Admin, writes = d.GrantsAll(), d.WritesIAM()
				}
				add(pol, writes)
				return nil
			})
		}
		return pg.Wait()
	})
	return g.Wait()
}

func (a *IAM) listAttached(ctx context.Context, pr principal) ([]types.AttachedPolicy, error) {
	var out []types.AttachedPolicy
	add := func(ps []types.AttachedPolicy) { out = append(out, ps...) }
	var err error
	switch pr.kind {
	case "user":
		err = eachPage(ctx, a, iam.NewListAttachedUserPoliciesPaginator(a.api, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(pr.name)}),
			func(o *iam.ListAttachedUserPoliciesOutput) { add(o.AttachedPolicies) })
	case "group":
		err = eachPage(ctx, a, iam.NewListAttachedGroupPoliciesPaginator(a.api, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(pr.name)}),
			func(o *iam.ListAttachedGroupPoliciesOutput) { add(o.AttachedPolicies) })
	default:
		err = eachPage(ctx, a, iam.NewListAttachedRolePoliciesPaginator(a.api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(pr.name)}),
			func(o *iam.ListAttachedRolePoliciesOutput) { add(o.AttachedPolicies) })
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *IAM) listInline(ctx context.Context, pr principal) ([]string, error) {
	var out []string
	add := func(names []string) { out = append(out, names...) }
	var err error
	switch pr.kind {
	case "user":
		err = eachPage(ctx, a, iam.NewListUserPoliciesPaginator(a.api, &iam.ListUserPoliciesInput{UserName: aws.String(pr.name)}),
			func(o *iam.ListUserPoliciesOutput) { add(o.PolicyNames) })
	case "group":
		err = eachPage(ctx, a, iam.NewListGroupPoliciesPaginator(a.api, &iam.ListGroupPoliciesInput{GroupName: aws.String(pr.name)}),
			func(o *iam.ListGroupPoliciesOutput) { add(o.PolicyNames) })
	default:
		err = eachPage(ctx, a, iam.NewListRolePoliciesPaginator(a.api, &iam.ListRolePoliciesInput{RoleName: aws.String(pr.name)}),
			func(o *iam.ListRolePoliciesOutput) { add(o.PolicyNames) })
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pager is what every IAM paginator offers.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*iam.Options)) (O, error)
}

// eachPage fetches every page through a.call, so each page, not the whole
// listing, takes a fan-out slot: a long listing must not starve the calls
// running beside it.
func eachPage[O any](ctx context.Context, a *IAM, p pager[O], fn func(O)) error {
	for p.HasMorePages() {
		var page O
		if err := a.call(ctx, func() (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return err
		}
		fn(page)
	}
	return nil
}

func (a *IAM) inlineDoc(ctx context.Context, pr principal, name string) (string, error) {
	var doc string
	err := a.call(ctx, func() error {
		switch pr.kind {
		case "user":
			o, err := a.api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(pr.name), PolicyName: aws.String(name)})
			if err != nil {
				return err
			}
			doc = aws.ToString(o.PolicyDocument)
		case "group":
			o, err := a.api.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(pr.name), PolicyName: aws.String(name)})
			if err != nil {
				return err
			}
			doc = aws.ToString(o.PolicyDocument)
		default:
			o, err := a.api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(pr.name), PolicyName: aws.String(name)})
			if err != nil {
				return err
			}
			doc = aws.ToString(o.PolicyDocument)
		}
		return nil
	})
	return doc, err
}

// AWS-managed policies are judged by name: their documents are public and
// fixed, and fetching them would cost two calls each on every case.
var awsManaged = map[string]struct{ admin, writes bool }{
	"AdministratorAccess": {admin: true, writes: true},
	"IAMFullAccess":       {writes: true},
}

const awsManagedPrefix = ":iam::aws:policy/"

// awsManagedName returns the name of an AWS-managed policy ARN
// (arn:aws:iam::aws:policy[/path]/Name), dropping any path.
func awsManagedName(arn string) (string, bool) {
	_, name, ok := strings.Cut(arn, awsManagedPrefix)
	return name[strings.LastIndex(name, "/")+1:], ok
}

func isQuarantine(arn string) bool {
	name, ok := awsManagedName(arn)
	return ok && strings.HasPrefix(name, "AWSCompromisedKeyQuarantine")
}

// managedVerdict judges a managed policy once per account session:
// customer-managed ones by reading their default version.
func (a *IAM) managedVerdict(ctx context.Context, arn string) *verdict {
	a.mu.Lock()
	v, ok := a.managed[arn]
	if !ok {
		v = &verdict{}
		a.managed[arn] = v
	}
	a.mu.Unlock()
	v.once.Do(func() {
		if name, ok := awsManagedName(arn); ok {
			known := awsManaged[name]
			v.admin, v.writes = known.admin, known.writes
			return
		}
		doc, err := a.policyDefault(ctx, arn)
		if err != nil {
			v.err = err
			// Let a later case retry rather than remember a transient failure.
			a.mu.Lock()
			delete(a.managed, arn)
			a.mu.Unlock()
			return
		}
		if d, err := iampolicy.Parse(doc); err == nil {
			v.admin, v.writes = d.GrantsAll(), d.WritesIAM()
		}
	})
	return v
}

func (a *IAM) policyDefault(ctx context.Context, arn string) (string, error) {
	var version *string
	err := a.call(ctx, func() error {
		o, err := a.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		if err != nil {
			return err
		}
		if o.Policy != nil {
			version = o.Policy.DefaultVersionId
		}
		return nil
	})
	if err != nil || version == nil {
		return "", err
	}
	var doc string
	err = a.call(ctx, func() error {
		o, err := a.api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: version})
		if err != nil {
			return err
		}
		if o.PolicyVersion != nil {
			doc = aws.ToString(o.PolicyVersion.Document)
		}
		return nil
	})
	return doc, err
}

// RoleCanWriteIAM reports whether any policy of the role grants an IAM
// write call; memoised per role because many functions share a role.
func (a *IAM) RoleCanWriteIAM(ctx context.Context, roleName string) (bool, error) {
	a.mu.Lock()
	v, ok := a.roleIAMW[roleName]
	if !ok {
		v = &verdict{}
		a.roleIAMW[roleName] = v
	}
	a.mu.Unlock()
	v.once.Do(func() {
		var mu sync.Mutex
		v.err = a.principalPolicies(ctx, principal{kind: "role", name: roleName}, func(_ evidence.Policy, writes bool) {
			mu.Lock()
			v.writes = v.writes || writes
			mu.Unlock()
		})
		if v.err != nil {
			a.mu.Lock()
			delete(a.roleIAMW, roleName)
			a.mu.Unlock()
		}
	})
	if v.err != nil {
		return false, fmt.Errorf("unable to read policies of role %s: %w", roleName, awsx.Classify(v.err))
	}
	return v.writes, nil
}

// Recent lists users created at or after since, and access keys created at
// or after since on any user (an attacker's favourite persistence is a
// second key on an old user).
func (a *IAM) Recent(ctx context.Context, since time.Time) (evidence.RecentIAM, error) {
	res := evidence.RecentIAM{Since: since}
	var users []types.User
	p := iam.NewListUsersPaginator(a.api, &iam.ListUsersInput{})
	if err := eachPage(ctx, a, p, func(page *iam.ListUsersOutput) { users = append(users, page.Users...) }); err != nil {
		return res, fmt.Errorf("unable to list IAM users: %w", awsx.Classify(err))
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for _, usr := range users {
		created := aws.ToTime(usr.CreateDate)
		if !created.Before(since) {
			eu := evidence.User{Name: aws.ToString(usr.UserName), ARN: aws.ToString(usr.Arn), Created: created}
			if usr.PasswordLastUsed != nil {
				t := *usr.PasswordLastUsed
				eu.PasswordLastUsed = &t
			}
			res.Users = append(res.Users, eu)
		}
		g.Go(func() error {
			keys, err := a.listKeys(gctx, aws.ToString(usr.UserName))
			var nse *types.NoSuchEntityException
			if errors.As(err, &nse) {
				return nil // deleted between the two calls
			}
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, k := range keys {
				if !k.Created.Before(since) {
					res.Keys = append(res.Keys, k)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return evidence.RecentIAM{Since: since}, fmt.Errorf("unable to list access keys: %w", awsx.Classify(err))
	}
	slices.SortFunc(res.Keys, func(x, y evidence.AccessKey) int { return strings.Compare(x.ID, y.ID) })
	return res, nil
}
