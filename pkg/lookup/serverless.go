package lookup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/sync/errgroup"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/iampolicy"
)

// lambdaAPI is what the hunt calls on Lambda.
type lambdaAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListFunctionUrlConfigs(ctx context.Context, in *lambda.ListFunctionUrlConfigsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionUrlConfigsOutput, error)
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// restAPI is what the hunt calls on API Gateway (REST APIs, v1).
type restAPI interface {
	GetRestApis(ctx context.Context, in *apigateway.GetRestApisInput, optFns ...func(*apigateway.Options)) (*apigateway.GetRestApisOutput, error)
	GetResources(ctx context.Context, in *apigateway.GetResourcesInput, optFns ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
}

// httpAPI is what the hunt calls on API Gateway v2 (HTTP APIs).
type httpAPI interface {
	GetApis(ctx context.Context, in *apigatewayv2.GetApisInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.GetApisOutput, error)
	GetIntegrations(ctx context.Context, in *apigatewayv2.GetIntegrationsInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.GetIntegrationsOutput, error)
}

type serverlessClients struct {
	lambda lambdaAPI
	rest   restAPI
	http   httpAPI
}

// Serverless implements enrich.Serverless: the backdoor hunt.
type Serverless struct {
	clients *regional[serverlessClients]
	iam     *IAM
	sem     chan struct{}
}

func newServerless(cfg aws.Config, iamA *IAM, fanout int) *Serverless {
	return &Serverless{
		iam: iamA,
		sem: make(chan struct{}, fanout),
		clients: newRegional(func(region string) serverlessClients {
			return serverlessClients{
				lambda: lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region }),
				rest:   apigateway.NewFromConfig(cfg, func(o *apigateway.Options) { o.Region = region }),
				http:   apigatewayv2.NewFromConfig(cfg, func(o *apigatewayv2.Options) { o.Region = region }),
			}
		}),
	}
}

func (s *Serverless) call(ctx context.Context, fn func() error) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sem }()
	return fn()
}

// lambdaTime is Lambda's LastModified format (ISO 8601 with a +0000 offset).
const lambdaTime = "2006-01-02T15:04:05.999-0700"

// Hunt looks for the serverless backdoor seen in practice: a function whose
// role can write IAM, reachable from the internet through a function URL
// with auth NONE, a resource policy open to "*", or an API Gateway API
// created recently. It reports every function with any such trait, every
// function changed since since, and the recent APIs with the functions they
// integrate.
func (s *Serverless) Hunt(ctx context.Context, region string, since time.Time) (evidence.Serverless, error) {
	res := evidence.Serverless{Region: region}
	if err := checkRegion(region); err != nil {
		return res, err
	}
	c := s.clients.get(region)
	var (
		funcs []evidence.Function
		apis  []evidence.API
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		funcs, err = s.functions(gctx, region, c.lambda)
		return err
	})
	g.Go(func() (err error) {
		apis, err = s.restAPIs(gctx, region, since, c.rest)
		return err
	})
	var httpAPIs []evidence.API
	g.Go(func() (err error) {
		httpAPIs, err = s.httpAPIs(gctx, region, since, c.http)
		return err
	})
	if err := g.Wait(); err != nil {
		return res, fmt.Errorf("unable to hunt serverless backdoors in %s: %w", region, err)
	}
	apis = append(apis, httpAPIs...)

	integrated := map[string]bool{}
	for _, a := range apis {
		for _, f := range a.Functions {
			integrated[f] = true
		}
	}
	for _, f := range funcs {
		if f.RoleCanWriteIAM || f.URLAuthNone || f.PublicPolicy || !f.LastModified.Before(since) ||
			integrated[f.ARN] || integrated[f.Name] {
			res.Functions = append(res.Functions, f)
		}
	}
	slices.SortFunc(res.Functions, func(x, y evidence.Function) int { return strings.Compare(x.ARN, y.ARN) })
	slices.SortFunc(apis, func(x, y evidence.API) int { return strings.Compare(x.Kind+x.ID, y.Kind+y.ID) })
	res.APIs = apis
	return res, nil
}

func (s *Serverless) functions(ctx context.Context, region string, api lambdaAPI) ([]evidence.Function, error) {
	var list []lambdatypes.FunctionConfiguration
	p := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		var page *lambda.ListFunctionsOutput
		if err := s.call(ctx, func() (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return nil, fmt.Errorf("unable to list functions: %w", awsx.Classify(err))
		}
		list = append(list, page.Functions...)
	}
	out := make([]evidence.Function, len(list))
	g, gctx := errgroup.WithContext(ctx)
	for i, fc := range list {
		f := evidence.Function{
			Name:    aws.ToString(fc.FunctionName),
			ARN:     aws.ToString(fc.FunctionArn),
			Region:  region,
			Runtime: string(fc.Runtime),
			Role:    aws.ToString(fc.Role),
		}
		if t, err := time.Parse(lambdaTime, aws.ToString(fc.LastModified)); err == nil {
			f.LastModified = t.UTC()
		}
		out[i] = f
		// Each goroutine sets its own field of out[i]: no lock needed.
		g.Go(func() (err error) {
			out[i].URLAuthNone, err = s.urlAuthNone(gctx, api, f.Name)
			return err
		})
		g.Go(func() (err error) {
			out[i].PublicPolicy, err = s.publicPolicy(gctx, api, f.Name)
			return err
		})
		if role := roleName(f.Role); role != "" {
			g.Go(func() (err error) {
				out[i].RoleCanWriteIAM, err = s.iam.RoleCanWriteIAM(gctx, role)
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Serverless) urlAuthNone(ctx context.Context, api lambdaAPI, fn string) (bool, error) {
	p := lambda.NewListFunctionUrlConfigsPaginator(api, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(fn)})
	for p.HasMorePages() {
		var page *lambda.ListFunctionUrlConfigsOutput
		if err := s.call(ctx, func() (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			if errors.Is(awsx.Classify(err), awsx.ErrNotFound) {
				return false, nil
			}
			return false, fmt.Errorf("unable to list function URLs of %s: %w", fn, awsx.Classify(err))
		}
		for _, u := range page.FunctionUrlConfigs {
			if u.AuthType == lambdatypes.FunctionUrlAuthTypeNone {
				return true, nil
			}
		}
	}
	return false, nil
}

func (s *Serverless) publicPolicy(ctx context.Context, api lambdaAPI, fn string) (bool, error) {
	var out *lambda.GetPolicyOutput
	err := s.call(ctx, func() (err error) {
		out, err = api.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
		return err
	})
	if err != nil {
		if errors.Is(awsx.Classify(err), awsx.ErrNotFound) {
			return false, nil // no resource policy at all
		}
		return false, fmt.Errorf("unable to get policy of %s: %w", fn, awsx.Classify(err))
	}
	doc, err := iampolicy.Parse(aws.ToString(out.Policy))
	if err != nil {
		return false, nil
	}
	return doc.Public(), nil
}

// roleName takes the name from a role ARN, dropping any path.
func roleName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	return rest[strings.LastIndex(rest, "/")+1:]
}

func (s *Serverless) restAPIs(ctx context.Context, region string, since time.Time, api restAPI) ([]evidence.API, error) {
	var recent []evidence.API
	p := apigateway.NewGetRestApisPaginator(api, &apigateway.GetRestApisInput{})
	for p.HasMorePages() {
		var page *apigateway.GetRestApisOutput
		if err := s.call(ctx, func() (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return nil, fmt.Errorf("unable to list REST APIs: %w", awsx.Classify(err))
		}
		for _, r := range page.Items {
			created := aws.ToTime(r.CreatedDate)
			if created.Before(since) {
				continue
			}
			recent = append(recent, evidence.API{ID: aws.ToString(r.Id), Name: aws.ToString(r.Name), Kind: "REST", Region: region, Created: created})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range recent {
		g.Go(func() error {
			// embed=methods returns each method with its integration in one
			// call per page instead of one GetIntegration per method.
			rp := apigateway.NewGetResourcesPaginator(api, &apigateway.GetResourcesInput{RestApiId: aws.String(recent[i].ID), Embed: []string{"methods"}})
			for rp.HasMorePages() {
				var page *apigateway.GetResourcesOutput
				if err := s.call(gctx, func() (err error) { page, err = rp.NextPage(gctx); return err }); err != nil {
					return fmt.Errorf("unable to get resources of REST API %s: %w", recent[i].ID, awsx.Classify(err))
				}
				for _, res := range page.Items {
					for _, m := range res.ResourceMethods {
						if m.MethodIntegration != nil {
							if fn := integrationFunction(aws.ToString(m.MethodIntegration.Uri)); fn != "" && !slices.Contains(recent[i].Functions, fn) {
								recent[i].Functions = append(recent[i].Functions, fn)
							}
						}
					}
				}
			}
			slices.Sort(recent[i].Functions)
			return nil
		})
	}
	return recent, g.Wait()
}

func (s *Serverless) httpAPIs(ctx context.Context, region string, since time.Time, api httpAPI) ([]evidence.API, error) {
	var recent []evidence.API
	var token *string
	for {
		var page *apigatewayv2.GetApisOutput
		if err := s.call(ctx, func() (err error) {
			page, err = api.GetApis(ctx, &apigatewayv2.GetApisInput{NextToken: token})
			return err
		}); err != nil {
			return nil, fmt.Errorf("unable to list HTTP APIs: %w", awsx.Classify(err))
		}
		for _, a := range page.Items {
			created := aws.ToTime(a.CreatedDate)
			if created.Before(since) {
				continue
			}
			recent = append(recent, evidence.API{ID: aws.ToString(a.ApiId), Name: aws.ToString(a.Name), Kind: string(a.ProtocolType), Region: region, Created: created})
		}
		if token = page.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range recent {
		g.Go(func() error {
			var token *string
			for {
				var page *apigatewayv2.GetIntegrationsOutput
				if err := s.call(gctx, func() (err error) {
					page, err = api.GetIntegrations(gctx, &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(recent[i].ID), NextToken: token})
					return err
				}); err != nil {
					return fmt.Errorf("unable to get integrations of API %s: %w", recent[i].ID, awsx.Classify(err))
				}
				for _, in := range page.Items {
					if fn := integrationFunction(aws.ToString(in.IntegrationUri)); fn != "" && !slices.Contains(recent[i].Functions, fn) {
						recent[i].Functions = append(recent[i].Functions, fn)
					}
				}
				if token = page.NextToken; aws.ToString(token) == "" {
					break
				}
			}
			slices.Sort(recent[i].Functions)
			return nil
		})
	}
	return recent, g.Wait()
}

// integrationFunction extracts the Lambda ARN from an integration URI, which
// is either the ARN itself (HTTP APIs) or an API Gateway invocation URI:
// arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<lambda arn>/invocations
func integrationFunction(uri string) string {
	if _, fn, ok := strings.Cut(uri, ":lambda:path/2015-03-31/functions/"); ok {
		fn, _, _ = strings.Cut(fn, "/invocations")
		return fn
	}
	if strings.HasPrefix(uri, "arn:") && strings.Contains(uri, ":lambda:") && strings.Contains(uri, ":function:") {
		return uri
	}
	return ""
}
