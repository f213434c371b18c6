package health

import (
	"github.com/abusedesk/abusedesk/pkg/awsx"

	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Targets are the resources an event names, by kind, for the lookups.
type Targets struct {
	InstanceIDs  []string `json:"instanceIds,omitempty"`
	IPs          []string `json:"ips,omitempty"`
	AccessKeyIDs []string `json:"accessKeyIds,omitempty"`
	UserNames    []string `json:"userNames,omitempty"`
	ARNs         []string `json:"arns,omitempty"`
	Regions      []string `json:"regions,omitempty"`
}

var (
	instanceRE  = regexp.MustCompile(`\bi-(?:[0-9a-f]{8}|[0-9a-f]{17})\b`)
	accessKeyRE = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z2-7]{16}\b`)
	arnRE       = regexp.MustCompile(`\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\s"',]+`)
	userNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// ExtractTargets collects what the lookups should look at: entity values,
// envelope resources, metadata values and the description text. Attackers
// can influence none of these directly, but they are still parsed strictly:
// only well-formed ids, addresses and user names are returned.
func ExtractTargets(n Notice) Targets {
	var t Targets
	texts := []string{}
	for _, e := range n.Event.Detail.AffectedEntities {
		texts = append(texts, e.EntityValue, e.EntityARN)
	}
	texts = append(texts, n.Event.Resources...)
	keys := make([]string, 0, len(n.Event.Detail.EventMetadata))
	for k := range n.Event.Detail.EventMetadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := n.Event.Detail.EventMetadata[k]
		texts = append(texts, v)
		if strings.EqualFold(k, "userName") && userNameRE.MatchString(v) {
			t.UserNames = append(t.UserNames, v)
		}
	}
	for _, d := range n.Event.Detail.EventDescription {
		texts = append(texts, d.LatestDescription)
	}
	for _, s := range texts {
		t.InstanceIDs = append(t.InstanceIDs, instanceRE.FindAllString(s, -1)...)
		t.AccessKeyIDs = append(t.AccessKeyIDs, accessKeyRE.FindAllString(s, -1)...)
		for _, a := range arnRE.FindAllString(s, -1) {
			t.ARNs = append(t.ARNs, a)
			parts := strings.SplitN(a, ":", 6)
			if len(parts) == 6 && awsx.ValidRegion(parts[3]) {
				t.Regions = append(t.Regions, parts[3])
			}
			if parts[2] == "iam" && strings.HasPrefix(parts[5], "user/") {
				name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
				if userNameRE.MatchString(name) {
					t.UserNames = append(t.UserNames, name)
				}
			}
		}
		t.IPs = append(t.IPs, findIPs(s)...)
	}
	if awsx.ValidRegion(n.Region) {
		t.Regions = append([]string{n.Region}, t.Regions...)
	}
	t.InstanceIDs = uniq(t.InstanceIDs)
	t.IPs = uniq(t.IPs)
	t.AccessKeyIDs = uniq(t.AccessKeyIDs)
	t.UserNames = uniq(t.UserNames)
	t.ARNs = uniq(t.ARNs)
	t.Regions = uniq(t.Regions)
	return t
}

// findIPs returns global unicast, non-private addresses in s: a private
// address cannot be the source of an abuse report seen from outside.
func findIPs(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '.' || r == ':')
	}) {
		// Sentence dots and "ip:" colons cling to addresses, but "::" may
		// start one (::ffff:203.0.113.5), so try with colons kept first.
		a, err := netip.ParseAddr(strings.Trim(f, "."))
		if err != nil {
			a, err = netip.ParseAddr(strings.Trim(f, ".:"))
		}
		if err != nil || !a.IsGlobalUnicast() || a.IsPrivate() {
			continue
		}
		out = append(out, a.Unmap().String())
	}
	return out
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Merge returns the union of t and o, keeping first-seen order.
func (t Targets) Merge(o Targets) Targets {
	return Targets{
		InstanceIDs:  uniq(append(append([]string{}, t.InstanceIDs...), o.InstanceIDs...)),
		IPs:          uniq(append(append([]string{}, t.IPs...), o.IPs...)),
		AccessKeyIDs: uniq(append(append([]string{}, t.AccessKeyIDs...), o.AccessKeyIDs...)),
		UserNames:    uniq(append(append([]string{}, t.UserNames...), o.UserNames...)),
		ARNs:         uniq(append(append([]string{}, t.ARNs...), o.ARNs...)),
		Regions:      uniq(append(append([]string{}, t.Regions...), o.Regions...)),
	}
}
