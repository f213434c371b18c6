package csvintake

import (
	"github.com/abusedesk/abusedesk/pkg/awsx"

	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/health"
	"github.com/abusedesk/abusedesk/pkg/redact"
)

// Kind is what sort of resource a row names.
type Kind string

const (
	KindIP       Kind = "ip"
	KindInstance Kind = "instance"
	KindARN      Kind = "arn"
)

// Resource is what a row accuses: a public IP address, an EC2 instance or
// some other ARN. Region and Account come from an ARN when it names them.
type Resource struct {
	Kind    Kind   `json:"kind"`
	Value   string `json:"value"`
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
}

// Key identifies a resource within a batch.
func (r Resource) Key() string { return string(r.Kind) + ":" + r.Value }

var (
	instanceRE = regexp.MustCompile(`^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)
	arnRE      = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\s"',;]+$`)
)

// refang undoes the defanging threat reports apply to addresses
// ("203.0.113[.]10", "2001:db8[:]1") so they cannot be clicked.
var refang = strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".", "[:]", ":", "[dot]", ".", "(dot)", ".")

// parseResource reads a cell as an IP address (optionally with a port,
// bracketed or defanged), an instance id or an ARN. An instance ARN
// becomes an instance with its region. port is the port an address:port
// cell carried, else 0. ok is false for anything else; reason says why a
// non-empty cell is unusable.
func parseResource(cell string) (res Resource, port int, reason string, ok bool) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return Resource{}, 0, "empty", false
	}
	if strings.HasPrefix(s, "arn:") {
		if !arnRE.MatchString(s) || len(s) > 2048 {
			return Resource{}, 0, "not a well-formed ARN", false
		}
		// A resource value goes into the case and every report whole,
		// where redacting part of it would name a different resource.
		if redact.Secrets(s) != s {
			return Resource{}, 0, "an ARN that holds what looks like a secret", false
		}
		parts := strings.SplitN(s, ":", 6)
		r := Resource{Kind: KindARN, Value: s}
		if awsx.ValidRegion(parts[3]) {
			r.Region = parts[3]
		}
		if health.ValidAccount(parts[4]) {
			r.Account = parts[4]
		}
		if parts[2] == "ec2" && strings.HasPrefix(parts[5], "instance/") && instanceRE.MatchString(strings.TrimPrefix(parts[5], "instance/")) {
			r.Kind, r.Value = KindInstance, strings.TrimPrefix(parts[5], "instance/")
		}
		return r, 0, "", true
	}
	if l := strings.ToLower(s); instanceRE.MatchString(l) {
		return Resource{Kind: KindInstance, Value: l}, 0, "", true
	}
	s = refang.Replace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1] // "[2001:db8::1]" as in URLs
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			return Resource{}, 0, "not an IP address, instance id or ARN", false
		}
		a, port = ap.Addr(), int(ap.Port())
	}
	a = a.Unmap().WithZone("")
	switch {
	case a.IsLoopback(), a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalUnicast():
		return Resource{}, 0, "not a public address", false
	case a.IsPrivate(), !a.IsGlobalUnicast(), isShared(a):
		// An outside party can only have seen a public address.
		return Resource{}, 0, "a private address, which cannot be seen from the internet", false
	}
	return Resource{Kind: KindIP, Value: a.String()}, port, "", true
}

// sharedSpace is carrier-grade NAT space (RFC 6598), private in practice
// though netip does not say so.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

func isShared(a netip.Addr) bool { return a.Is4() && sharedSpace.Contains(a) }

// zones are the unambiguous abbreviations people put after a time. Go's
// parser gives any other abbreviation offset zero, which would silently
// shift a KST log by nine hours, so unknown and ambiguous ones (CST, IST,
// BST each name several zones) are refused instead.
var zones = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
	"KST": 9, "JST": 9, "EST": -5, "EDT": -4, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"CET": 1, "CEST": 2, "SGT": 8, "HKT": 8, "AEST": 10, "AEDT": 11,
}

// Layouts with a numeric or no zone. Times without a zone are UTC, which
// is what abuse reporters use unless they say otherwise.
var numericLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006.01.02 15:04:05",
	"20060102T150405Z0700",
	"2006-01-02",
	time.RFC1123Z,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
}

// Layouts ending in a zone abbreviation.
var namedLayouts = []string{
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 MST",
	time.RFC850,
	time.UnixDate,
	"2006-01-02 15:04:05 MST",
	"2006-01-02T15:04:05 MST",
	"2006-01-02 15:04 MST",
	"Jan 2 2006 15:04:05 MST",
}

// Epoch bounds: 2000-01-01 to 2100-01-01. A number outside is not a time
// anyone reports abuse at.
const (
	epochMin = 946684800
	epochMax = 4102444800
)

// parseTime reads ISO 8601 (with or without zone, T or space), RFC 1123
// and friends, and epoch seconds or milliseconds.
func parseTime(cell string) (time.Time, error) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty")
	}
	if t, ok := parseEpoch(s); ok {
		return t, nil
	}
	for _, l := range numericLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, l := range namedLayouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		name, _ := t.Zone()
		off, ok := zones[strings.ToUpper(name)]
		if !ok {
			return time.Time{}, fmt.Errorf("unknown time zone %q", name)
		}
		// Rebuild in the zone's real offset: Parse gave an unknown
		// abbreviation offset zero (or the host's idea of it).
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, off*3600))
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("not a time")
}

func parseEpoch(s string) (time.Time, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) || (frac != "" && !allDigits(frac)) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	switch {
	case n >= epochMin && n < epochMax:
		var ns int64
		if frac != "" {
			f, _ := strconv.ParseFloat("0."+frac, 64)
			ns = int64(f * 1e9)
		}
		return time.Unix(n, ns).UTC(), true
	case frac == "" && n >= epochMin*1000 && n < epochMax*1000:
		return time.UnixMilli(n).UTC(), true
	}
	return time.Time{}, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var protoNames = map[string]string{
	"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6", "ipv6-icmp": "icmpv6", "sctp": "sctp", "gre": "gre", "esp": "esp",
	"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "132": "sctp", "47": "gre", "50": "esp",
}

// parsePort reads "25", "25/tcp" or "tcp/25"; proto is what the cell said
// about the protocol, if anything.
func parsePort(cell string) (port int, proto string, err error) {
	s := strings.ToLower(strings.TrimSpace(cell))
	if a, b, ok := strings.Cut(s, "/"); ok {
		if p, isProto := protoNames[b]; isProto && allDigits(a) {
			s, proto = a, p
		} else if p, isProto := protoNames[a]; isProto && allDigits(b) {
			s, proto = b, p
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || !allDigits(s) {
		return 0, "", fmt.Errorf("not a port")
	}
	return n, proto, nil
}

// parseProto normalises a protocol name or number; ok is false for text
// that is not a protocol at all.
func parseProto(cell string) (string, bool) {
	p, ok := protoNames[strings.ToLower(strings.TrimSpace(cell))]
	return p, ok
}
