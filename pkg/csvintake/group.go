package csvintake

import (
	"cmp"
	"slices"
	"time"
)

// Per-group caps: enough for a reader to recognise the pattern, bounded so
// one resource with thousands of rows cannot swamp the report.
const (
	maxPorts        = 20
	maxDestinations = 5
	maxExcerpts     = 3
	maxLines        = 10
)

// Group is the evidence the list holds about one resource.
type Group struct {
	Resource     Resource  `json:"resource"`
	Rows         int       `json:"rows"`
	FirstSeen    time.Time `json:"firstSeen,omitzero"`
	LastSeen     time.Time `json:"lastSeen,omitzero"`
	Ports        []int     `json:"ports,omitempty"` // distinct, ascending, at most maxPorts
	MorePorts    int       `json:"morePorts,omitempty"`
	Protocols    []string  `json:"protocols,omitempty"`
	Destinations int       `json:"destinations,omitempty"` // distinct destinations named
	// SampleDestinations are the first few distinct destinations.
	SampleDestinations []string `json:"sampleDestinations,omitempty"`
	Lines              []int    `json:"lines"` // first line numbers, for finding the rows again
	Excerpts           []string `json:"excerpts,omitempty"`
}

// GroupRows merges rows by resource, in one pass. Groups come out with the
// most-reported resource first, ties by resource, so reports are stable.
func GroupRows(rows []Row) []Group {
	idx := map[string]int{}
	var gs []Group
	ports := map[string]map[int]bool{}
	dests := map[string]map[string]bool{}
	for _, r := range rows {
		k := r.Resource.Key()
		i, ok := idx[k]
		if !ok {
			i = len(gs)
			idx[k] = i
			gs = append(gs, Group{Resource: r.Resource})
			ports[k], dests[k] = map[int]bool{}, map[string]bool{}
		}
		g := &gs[i]
		g.Rows++
		if g.Resource.Region == "" {
			g.Resource.Region = r.Resource.Region
		}
		if g.Resource.Account == "" {
			g.Resource.Account = r.Resource.Account
		}
		if !r.Time.IsZero() {
			if g.FirstSeen.IsZero() || r.Time.Before(g.FirstSeen) {
				g.FirstSeen = r.Time
			}
			if r.Time.After(g.LastSeen) {
				g.LastSeen = r.Time
			}
		}
		if r.Port > 0 {
			ports[k][r.Port] = true
		}
		if r.Protocol != "" && !slices.Contains(g.Protocols, r.Protocol) && len(g.Protocols) < maxPorts {
			g.Protocols = append(g.Protocols, r.Protocol)
		}
		if r.Destination != "" && !dests[k][r.Destination] {
			dests[k][r.Destination] = true
			if len(g.SampleDestinations) < maxDestinations {
				g.SampleDestinations = append(g.SampleDestinations, r.Destination)
			}
		}
		if len(g.Lines) < maxLines {
			g.Lines = append(g.Lines, r.Line)
		}
		if r.Details != "" && len(g.Excerpts) < maxExcerpts && !slices.Contains(g.Excerpts, r.Details) {
			g.Excerpts = append(g.Excerpts, r.Details)
		}
	}
	for i := range gs {
		k := gs[i].Resource.Key()
		ps := make([]int, 0, len(ports[k]))
		for p := range ports[k] {
			ps = append(ps, p)
		}
		slices.Sort(ps)
		if len(ps) > maxPorts {
			gs[i].MorePorts = len(ps) - maxPorts
			ps = ps[:maxPorts]
		}
		if len(ps) > 0 {
			gs[i].Ports = ps
		}
		gs[i].Destinations = len(dests[k])
	}
	slices.SortFunc(gs, func(a, b Group) int {
		return cmp.Or(cmp.Compare(b.Rows, a.Rows), cmp.Compare(a.Resource.Key(), b.Resource.Key()))
	})
	return gs
}
