package lookup

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

// ec2API is what the EC2 adapter calls.
type ec2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// EC2 implements enrich.EC2.
type EC2 struct {
	clients *regional[ec2API]
}

func newEC2(cfg aws.Config) *EC2 {
	return &EC2{clients: newRegional(func(region string) ec2API {
		return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
	})}
}

// ec2Filter caps values per filter: EC2 rejects filters with more than 200.
const ec2FilterMax = 200

// Instances describes instances by id or ARN. It filters on instance-id
// rather than passing InstanceIds, because one unknown id would otherwise
// fail the whole call with InvalidInstanceID.NotFound.
func (e *EC2) Instances(ctx context.Context, region string, ids []string) ([]evidence.Instance, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	ids = normaliseIDs(ids, "i-", "instance/")
	if len(ids) == 0 {
		return nil, nil
	}
	client := e.clients.get(region)
	var out []evidence.Instance
	for chunk := range slices.Chunk(ids, ec2FilterMax) {
		p := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{
			Filters: []types.Filter{{Name: aws.String("instance-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("unable to describe instances in %s: %w", region, awsx.Classify(err))
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					out = append(out, instance(region, in))
				}
			}
		}
	}
	return out, nil
}

func instance(region string, in types.Instance) evidence.Instance {
	i := evidence.Instance{
		ID:         aws.ToString(in.InstanceId),
		Region:     region,
		Type:       string(in.InstanceType),
		LaunchTime: aws.ToTime(in.LaunchTime),
		KeyName:    aws.ToString(in.KeyName),
		ImageID:    aws.ToString(in.ImageId),
		VPCID:      aws.ToString(in.VpcId),
	}
	if in.State != nil {
		i.State = string(in.State.Name)
	}
	if in.IamInstanceProfile != nil {
		i.InstanceProfileARN = aws.ToString(in.IamInstanceProfile.Arn)
	}
	addUnique := func(list []string, v string) []string {
		if v == "" || slices.Contains(list, v) {
			return list
		}
		return append(list, v)
	}
	i.PublicIPs = addUnique(i.PublicIPs, aws.ToString(in.PublicIpAddress))
	i.PrivateIPs = addUnique(i.PrivateIPs, aws.ToString(in.PrivateIpAddress))
	for _, ni := range in.NetworkInterfaces {
		if ni.Association != nil {
			i.PublicIPs = addUnique(i.PublicIPs, aws.ToString(ni.Association.PublicIp))
		}
		for _, pa := range ni.PrivateIpAddresses {
			i.PrivateIPs = addUnique(i.PrivateIPs, aws.ToString(pa.PrivateIpAddress))
			if pa.Association != nil {
				i.PublicIPs = addUnique(i.PublicIPs, aws.ToString(pa.Association.PublicIp))
			}
		}
		for _, v6 := range ni.Ipv6Addresses {
			i.PublicIPs = addUnique(i.PublicIPs, aws.ToString(v6.Ipv6Address))
		}
	}
	for _, g := range in.SecurityGroups {
		i.SecurityGroupIDs = addUnique(i.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	for _, t := range in.Tags {
		if i.Tags == nil {
			i.Tags = map[string]string{}
		}
		i.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return i
}

// InterfacesByPublicIP finds the ENIs holding ips. IPv4 addresses are
// matched on association.public-ip (which covers instances, load
// balancers, NAT gateways and Lambda ENIs alike); IPv6 addresses are global
// and matched on the interface's own addresses.
func (e *EC2) InterfacesByPublicIP(ctx context.Context, region string, ips []netip.Addr) ([]evidence.NetworkInterface, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	var v4, v6 []string
	for _, ip := range ips {
		ip = ip.Unmap()
		switch {
		case !ip.IsValid():
		case ip.Is4():
			v4 = append(v4, ip.String())
		default:
			v6 = append(v6, ip.String())
		}
	}
	v4, v6 = dedupe(v4), dedupe(v6)
	client := e.clients.get(region)
	var (
		mu  sync.Mutex
		out []evidence.NetworkInterface
	)
	g, gctx := errgroup.WithContext(ctx)
	for _, q := range []struct {
		filter string
		values []string
	}{{"association.public-ip", v4}, {"ipv6-addresses.ipv6-address", v6}} {
		for chunk := range slices.Chunk(q.values, ec2FilterMax) {
			g.Go(func() error {
				p := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{
					Filters: []types.Filter{{Name: aws.String(q.filter), Values: chunk}},
				})
				var found []evidence.NetworkInterface
				for p.HasMorePages() {
					page, err := p.NextPage(gctx)
					if err != nil {
						return fmt.Errorf("unable to describe network interfaces in %s: %w", region, awsx.Classify(err))
					}
					for _, ni := range page.NetworkInterfaces {
						found = append(found, networkInterfaces(region, ni, chunk)...)
					}
				}
				mu.Lock()
				out = append(out, found...)
				mu.Unlock()
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b evidence.NetworkInterface) int {
		return cmp.Or(strings.Compare(a.PublicIP, b.PublicIP), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// networkInterfaces returns one entry per wanted public IP the ENI holds, so
// a case naming two EIPs on one ENI sees both.
func networkInterfaces(region string, ni types.NetworkInterface, want []string) []evidence.NetworkInterface {
	base := evidence.NetworkInterface{
		ID:               aws.ToString(ni.NetworkInterfaceId),
		Region:           region,
		PrivateIP:        aws.ToString(ni.PrivateIpAddress),
		InterfaceType:    string(ni.InterfaceType),
		Description:      aws.ToString(ni.Description),
		RequesterID:      aws.ToString(ni.RequesterId),
		RequesterManaged: aws.ToBool(ni.RequesterManaged),
		OwnerID:          aws.ToString(ni.OwnerId),
		VPCID:            aws.ToString(ni.VpcId),
	}
	if ni.Attachment != nil {
		base.InstanceID = aws.ToString(ni.Attachment.InstanceId)
	}
	for _, g := range ni.Groups {
		base.SecurityGroupIDs = append(base.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	held := map[string]string{} // public IP -> private IP it maps to
	if ni.Association != nil && ni.Association.PublicIp != nil {
		held[*ni.Association.PublicIp] = base.PrivateIP
	}
	for _, pa := range ni.PrivateIpAddresses {
		if pa.Association != nil && pa.Association.PublicIp != nil {
			held[*pa.Association.PublicIp] = aws.ToString(pa.PrivateIpAddress)
		}
	}
	for _, a := range ni.Ipv6Addresses {
		if a.Ipv6Address != nil {
			held[*a.Ipv6Address] = ""
		}
	}
	var out []evidence.NetworkInterface
	for _, ip := range want {
		priv, ok := held[ip]
		if !ok {
			continue
		}
		e := base
		e.PublicIP = ip
		if priv != "" {
			e.PrivateIP = priv
		}
		out = append(out, e)
	}
	return out
}

// SecurityGroups describes groups and keeps their world-open inbound rules.
// Like Instances it filters on group-id so an unknown id is simply absent.
func (e *EC2) SecurityGroups(ctx context.Context, region string, ids []string) ([]evidence.SecurityGroup, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	ids = normaliseIDs(ids, "sg-", "security-group/")
	if len(ids) == 0 {
		return nil, nil
	}
	client := e.clients.get(region)
	var out []evidence.SecurityGroup
	for chunk := range slices.Chunk(ids, ec2FilterMax) {
		p := ec2.NewDescribeSecurityGroupsPaginator(client, &ec2.DescribeSecurityGroupsInput{
			Filters: []types.Filter{{Name: aws.String("group-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("unable to describe security groups in %s: %w", region, awsx.Classify(err))
			}
			for _, sg := range page.SecurityGroups {
				out = append(out, securityGroup(region, sg))
			}
		}
	}
	return out, nil
}

func securityGroup(region string, sg types.SecurityGroup) evidence.SecurityGroup {
	g := evidence.SecurityGroup{
		ID:          aws.ToString(sg.GroupId),
		Region:      region,
		Name:        aws.ToString(sg.GroupName),
		Description: aws.ToString(sg.Description),
		VPCID:       aws.ToString(sg.VpcId),
	}
	for _, p := range sg.IpPermissions {
		proto := aws.ToString(p.IpProtocol)
		from, to := aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort)
		if proto == "-1" {
			// All traffic: EC2 omits the ports.
			from, to = 0, 65535
		}
		rule := func(cidr string) {
			g.OpenIngress = append(g.OpenIngress, evidence.OpenRule{Protocol: proto, FromPort: from, ToPort: to, CIDR: cidr})
		}
		for _, r := range p.IpRanges {
			if aws.ToString(r.CidrIp) == "0.0.0.0/0" {
				rule("0.0.0.0/0")
			}
		}
		for _, r := range p.Ipv6Ranges {
			if aws.ToString(r.CidrIpv6) == "::/0" {
				rule("::/0")
			}
		}
	}
	return g
}

// normaliseIDs accepts bare ids and ARNs (arn:aws:ec2:region:acct:instance/i-...),
// drops anything else, and de-duplicates.
func normaliseIDs(ids []string, idPrefix, arnMarker string) []string {
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if strings.HasPrefix(id, "arn:") {
			_, after, ok := strings.Cut(id, arnMarker)
			if !ok {
				continue
			}
			id = after
		}
		if strings.HasPrefix(id, idPrefix) && len(id) <= 64 {
			out = append(out, id)
		}
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
