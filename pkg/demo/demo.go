// Package demo is the embedded demo account: a small world compiled into
// the binary that answers the same lookup interfaces as the real AWS
// adapters, so the whole pipeline runs with no AWS account.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/cloudtrail"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/evidence"
	"github.com/abusedesk/abusedesk/pkg/sesrep"
)

//go:embed world.json
var worldJSON []byte

// ago is a Go duration before the report time.
type ago time.Duration

func (a *ago) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("unable to parse demo offset %q: %w", s, err)
	}
	*a = ago(d)
	return nil
}

func (a ago) before(at time.Time) time.Time { return at.Add(-time.Duration(a)) }

// World is the demo account's data.
type World struct {
	Account   string           `json:"account"`
	Contact   contacts.Contact `json:"contact"`
	Instances []struct {
		Ago      ago               `json:"ago"`
		Instance evidence.Instance `json:"instance"`
	} `json:"instances"`
	Interfaces []evidence.NetworkInterface `json:"interfaces"`
	Groups     []evidence.SecurityGroup    `json:"securityGroups"`
	Users      []struct {
		Ago  ago           `json:"ago"`
		User evidence.User `json:"user"`
		Keys []struct {
			Ago         ago                `json:"ago"`
			LastUsedAgo ago                `json:"lastUsedAgo"`
			Key         evidence.AccessKey `json:"key"`
		} `json:"keys"`
	} `json:"users"`
	Functions []struct {
		Ago      ago               `json:"ago"`
		Function evidence.Function `json:"function"`
	} `json:"functions"`
	APIs []struct {
		Ago ago          `json:"ago"`
		API evidence.API `json:"api"`
	} `json:"apis"`
	CloudTrail []struct {
		Ago    ago             `json:"ago"`
		Record json.RawMessage `json:"record"`
	} `json:"cloudtrail"`
	SESRegions []struct {
		Region  string          `json:"region"`
		Enabled bool            `json:"enabled"`
		Account *sesrep.Account `json:"account"`
		Days    []struct {
			DaysAgo int `json:"daysAgo"`
			sesrep.Point
		} `json:"days"`
	} `json:"ses"`
}

var (
	once     sync.Once
	world    *World
	worldErr error
)

// Default returns the embedded world. It is parsed once and never mutated.
func Default() (*World, error) {
	once.Do(func() {
		var w World
		if err := json.Unmarshal(worldJSON, &w); err != nil {
			worldErr = fmt.Errorf("unable to load the demo world: %w", err)
			return
		}
		world = &w
	})
	return world, worldErr
}

// Contacts is the demo customer directory.
func (w *World) Contacts() contacts.Directory {
	return contacts.Static{w.Contact.Account: w.Contact}
}

// Connect implements enrich.Connector: only the demo account exists.
func (w *World) Connect(ctx context.Context, accountID, _ string) (*enrich.Account, error) {
	if accountID != w.Account {
		return nil, fmt.Errorf("unable to enter account %s: %w (the demo world only has %s)", accountID, awsx.ErrAccessDenied, w.Account)
	}
	at := enrich.ReportTime(ctx)
	if at.IsZero() {
		at = time.Now().UTC()
	}
	v := &view{w: w, at: at}
	return &enrich.Account{ID: w.Account, Access: "demo", EC2: v, IAM: v, Serverless: v, Trail: v, SES: v}, nil
}

// SES answers Reputation for the CLI's ses command.
func (w *World) SES(at time.Time) enrich.SES { return &view{w: w, at: at} }

// view is the world seen from one report time.
type view struct {
	w  *World
	at time.Time
}

func (v *view) Instances(_ context.Context, region string, ids []string) ([]evidence.Instance, error) {
	var out []evidence.Instance
	for _, x := range v.w.Instances {
		if x.Instance.Region == region && slices.Contains(ids, x.Instance.ID) {
			in := x.Instance
			in.LaunchTime = x.Ago.before(v.at)
			out = append(out, in)
		}
	}
	return out, nil
}

func (v *view) InterfacesByPublicIP(_ context.Context, region string, ips []netip.Addr) ([]evidence.NetworkInterface, error) {
	var out []evidence.NetworkInterface
	for _, n := range v.w.Interfaces {
		a, err := netip.ParseAddr(n.PublicIP)
		if err == nil && n.Region == region && slices.Contains(ips, a) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (v *view) SecurityGroups(_ context.Context, region string, ids []string) ([]evidence.SecurityGroup, error) {
	var out []evidence.SecurityGroup
	for _, g := range v.w.Groups {
		if g.Region == region && slices.Contains(ids, g.ID) {
			out = append(out, g)
		}
	}
	return out, nil
}

// users materialises users at the report time; a user created after it
// does not exist yet.
func (v *view) users() []evidence.User {
	var out []evidence.User
	for _, x := range v.w.Users {
		u := x.User
		u.Created = x.Ago.before(v.at)
		u.AccessKeys = nil
		for _, k := range x.Keys {
			key := k.Key
			key.UserName = u.Name
			key.Created = k.Ago.before(v.at)
			used := k.LastUsedAgo.before(v.at)
			key.LastUsed = &used
			u.AccessKeys = append(u.AccessKeys, key)
		}
		out = append(out, u)
	}
	return out
}

func (v *view) AccessKeyOwner(_ context.Context, keyID string) (evidence.AccessKey, error) {
	for _, u := range v.users() {
		for _, k := range u.AccessKeys {
			if k.ID == keyID {
				return k, nil
			}
		}
	}
	return evidence.AccessKey{}, fmt.Errorf("unable to find access key %s: %w", keyID, awsx.ErrNotFound)
}

func (v *view) User(_ context.Context, name string) (evidence.User, error) {
	for _, u := range v.users() {
		if u.Name == name {
			return u, nil
		}
	}
	return evidence.User{}, fmt.Errorf("unable to get user %s: %w", name, awsx.ErrNotFound)
}

func (v *view) Recent(_ context.Context, since time.Time) (evidence.RecentIAM, error) {
	r := evidence.RecentIAM{Since: since}
	for _, u := range v.users() {
		if !u.Created.Before(since) {
			r.Users = append(r.Users, u)
		}
		for _, k := range u.AccessKeys {
			if !k.Created.Before(since) {
				r.Keys = append(r.Keys, k)
			}
		}
	}
	return r, nil
}

func (v *view) Hunt(_ context.Context, region string, since time.Time) (evidence.Serverless, error) {
	s := evidence.Serverless{Region: region}
	for _, f := range v.w.Functions {
		if f.Function.Region == region {
			fn := f.Function
			fn.LastModified = f.Ago.before(v.at)
			s.Functions = append(s.Functions, fn)
		}
	}
	for _, a := range v.w.APIs {
		created := a.Ago.before(v.at)
		if a.API.Region == region && !created.Before(since) {
			api := a.API
			api.Created = created
			s.APIs = append(s.APIs, api)
		}
	}
	return s, nil
}

func (v *view) LookupEvents(_ context.Context, region string, q evidence.TrailQuery) (evidence.TrailResult, error) {
	res := evidence.TrailResult{Region: region, Query: q, Pages: 1}
	for _, x := range v.w.CloudTrail {
		rec, err := cloudtrail.ParseLookupEvent(string(x.Record))
		if err != nil {
			res.Skipped++
			continue
		}
		rec.EventTime = x.Ago.before(v.at)
		if rec.AWSRegion != region || rec.EventTime.Before(q.Start) || rec.EventTime.After(q.End) {
			continue
		}
		id := rec.UserIdentity
		switch q.Attribute {
		case "AccessKeyId":
			if id.AccessKeyID != q.Value {
				continue
			}
		case "Username":
			if id.UserName != q.Value {
				continue
			}
		case "ResourceName":
			// CloudTrail lists the resources an event names; in the demo
			// data those are the request's string values.
			if !strings.Contains(string(rec.RequestParameters), `"`+q.Value+`"`) {
				continue
			}
		default:
			continue
		}
		res.Records = append(res.Records, rec)
	}
	// LookupEvents returns newest first.
	sort.SliceStable(res.Records, func(i, j int) bool { return res.Records[i].EventTime.After(res.Records[j].EventTime) })
	return res, nil
}

func (v *view) Reputation(_ context.Context, region string, at time.Time) (sesrep.Report, error) {
	for _, s := range v.w.SESRegions {
		if s.Region != region {
			continue
		}
		if !s.Enabled {
			return sesrep.Report{Region: region, From: at.Add(-sesrep.Window), To: at, Reason: "SES has never been used in this region"}, nil
		}
		var pts []sesrep.Point
		day := at.UTC().Truncate(24 * time.Hour)
		for _, d := range s.Days {
			p := d.Point
			p.Timestamp = day.Add(-time.Duration(d.DaysAgo) * 24 * time.Hour)
			// A bucket is stamped with its start; today's must start
			// before the report time to be counted.
			if !p.Timestamp.Before(at) {
				p.Timestamp = at.Add(-15 * time.Minute)
			}
			pts = append(pts, p)
		}
		r := sesrep.Summarize(region, pts, at)
		r.Account = s.Account
		return r, nil
	}
	return sesrep.Report{Region: region, From: at.Add(-sesrep.Window), To: at}, nil
}
