// Package finding holds the one type every analysis in abusedesk produces: a
// finding with a severity, a reason a customer can read, and the evidence that
// triggered it. Scoring a case is a pure function over its findings.
package finding

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings. The zero value is Info so a forgotten severity
// never inflates a case's risk.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText makes severities read as words in JSON reports.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("unable to marshal severity %d: out of range", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText accepts the words MarshalText writes, in any case.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads a severity word.
func ParseSeverity(w string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(w), n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unable to parse severity %q: want one of %s", w, strings.Join(severityNames[:], ", "))
}

// AtLeast reports whether s is as severe as other or more.
func (s Severity) AtLeast(other Severity) bool { return s >= other }

// Finding is one observation about a case. Source says which analysis made
// it (event, ec2, iam, serverless, cloudtrail, ses, ...); ID is stable across
// runs so reports can be diffed and findings de-duplicated.
type Finding struct {
	ID       string            `json:"id"`
	Source   string            `json:"source"`
	Severity Severity          `json:"severity"`
	Title    string            `json:"title"`
	Reason   string            `json:"reason"`
	Resource string            `json:"resource,omitempty"`
	Region   string            `json:"region,omitempty"`
	Tactic   string            `json:"tactic,omitempty"`
	Evidence map[string]string `json:"evidence,omitempty"`
}

// Key identifies a finding within a case: the same rule on the same resource
// is one finding however many lookups saw it.
func (f Finding) Key() string { return f.ID + "|" + f.Resource }

// Sort orders findings most severe first, then by ID and resource, so reports
// are deterministic.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.Resource, b.Resource)
	})
}

// Dedupe keeps the most severe finding per Key, preserving first-seen order
// among equals.
func Dedupe(fs []Finding) []Finding {
	idx := make(map[string]int, len(fs))
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		k := f.Key()
		if i, ok := idx[k]; ok {
			if f.Severity > out[i].Severity {
				out[i] = f
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, f)
	}
	return out
}

// Overall is the case's risk: the highest severity present, raised one step
// when three or more high findings corroborate each other (several
// independent high signals are how real compromises look).
func Overall(fs []Finding) Severity {
	top := Info
	for _, f := range fs {
		top = max(top, f.Severity)
	}
	if Corroborated(fs) {
		return Critical
	}
	return top
}

// CorroborationCount is how many high findings, with no critical one,
// raise a case to critical.
const CorroborationCount = 3

// Corroborated reports whether the case is critical only because several
// high findings corroborate each other, so reports can say why.
func Corroborated(fs []Finding) bool {
	highs := 0
	for _, f := range fs {
		if f.Severity == Critical {
			return false
		}
		if f.Severity == High {
			highs++
		}
	}
	return highs >= CorroborationCount
}

// Filter returns the findings at or above min.
func Filter(fs []Finding, min Severity) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}
