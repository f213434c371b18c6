package lookup

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/abusedesk/abusedesk/pkg/awsx"
	"github.com/abusedesk/abusedesk/pkg/awsx/awsxtest"
	"github.com/abusedesk/abusedesk/pkg/evidence"
)

func ptime(t time.Time) *time.Time { return &t }

func TestAccessKeyOwner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		key       string
		reply     func(t *testing.T) awsxtest.Reply
		want      evidence.AccessKey
		wantErr   error
		wantCalls int
	}{
		{
			name: "owned and used",
			key:  "AKIAIOSFODNN7EXAMPLE",
			want: evidence.AccessKey{ID: "AKIAIOSFODNN7EXAMPLE", UserName: "Bob",
				LastUsed: ptime(time.Date(2015, 3, 13, 10, 45, 0, 0, time.UTC)), LastUsedService: "s3", LastUsedRegion: "us-west-2"},
			wantCalls: 1,
		},
		{
			name:      "never used",
			key:       "AKIAI44QH8DHBEXAMPLE",
			want:      evidence.AccessKey{ID: "AKIAI44QH8DHBEXAMPLE", UserName: "Bob"},
			wantCalls: 1,
		},
		{
			name: "throttled once",
			key:  "AKIAIOSFODNN7EXAMPLE",
			reply: func(t *testing.T) awsxtest.Reply {
				return awsxtest.QueryError(http.StatusBadRequest, "Throttling", "Rate exceeded")
			},
			want: evidence.AccessKey{ID: "AKIAIOSFODNN7EXAMPLE", UserName: "Bob",
				LastUsed: ptime(time.Date(2015, 3, 13, 10, 45, 0, 0, time.UTC)), LastUsedService: "s3", LastUsedRegion: "us-west-2"},
			wantCalls: 2,
		},
		{
			name: "not in this account",
			key:  "AKIAIOSFODNN7EXAMPLE",
			reply: func(t *testing.T) awsxtest.Reply {
				return awsxtest.QueryError(http.StatusNotFound, "NoSuchEntity", "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found")
			},
			want:      evidence.AccessKey{ID: "AKIAIOSFODNN7EXAMPLE"},
			wantErr:   awsx.ErrNotFound,
			wantCalls: 1,
		},
		{
			name:      "not a key id",
			key:       "AKIA<script>",
			want:      evidence.AccessKey{ID: "AKIA<script>"},
			wantErr:   awsx.ErrNotFound,
			wantCalls: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fakeAccount(t)
			if tt.reply != nil {
				s.Handle("iam:GetAccessKeyLastUsed", awsxtest.Sequence(tt.reply(t), awsxtest.Reply{
					Body: awsxtest.Body(t, "iam/GetAccessKeyLastUsed.xml", map[string]any{"User": "Bob"})}))
			}
			acct := openMember(t, s)
			got, err := acct.IAM.AccessKeyOwner(t.Context(), tt.key)
			if (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("AccessKeyOwner error = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AccessKeyOwner = %+v, want %+v", got, tt.want)
			}
			if n := len(s.Calls("iam:GetAccessKeyLastUsed")); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestUser(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	acct := openMember(t, s)
	s.Reset()
	// Latency makes overlapping calls observable on the server.
	s.SetLatency(20 * time.Millisecond)
	got, err := acct.IAM.User(t.Context(), "Bob")
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	want := evidence.User{
		Name:             "Bob",
		ARN:              "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob",
		Created:          time.Date(2013, 10, 2, 17, 1, 44, 0, time.UTC),
		PasswordLastUsed: ptime(time.Date(2014, 10, 10, 14, 37, 51, 0, time.UTC)),
		AccessKeys: []evidence.AccessKey{
			{ID: "AKIAIOSFODNN7EXAMPLE", UserName: "Bob", Status: "Active", Created: time.Date(2012, 5, 8, 23, 34, 1, 0, time.UTC),
				LastUsed: ptime(time.Date(2015, 3, 13, 10, 45, 0, 0, time.UTC)), LastUsedService: "s3", LastUsedRegion: "us-west-2"},
			{ID: "AKIAI44QH8DHBEXAMPLE", UserName: "Bob", Status: "Inactive", Created: time.Date(2024, 5, 20, 10, 0, 0, 0, time.UTC)},
		},
		LoginProfile: true,
		LoginCreated: ptime(time.Date(2011, 9, 19, 23, 0, 56, 0, time.UTC)),
		Groups:       []string{"Developers"},
		Policies: []evidence.Policy{
			{Name: "DevEverything", ARN: "arn:aws:iam::123456789012:policy/DevEverything", Via: "group:Developers", Admin: true},
			{Name: "AWSCompromisedKeyQuarantineV3", ARN: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3", Via: "user", Quarantine: true},
			{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Via: "user", Admin: true},
			{Name: "AllAccessPolicy", Via: "user", Admin: true},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("User =\n%+v\nwant\n%+v", got, want)
	}
	if n := s.MaxInFlight(); n < 3 {
		t.Errorf("max concurrent IAM calls = %d, want the user's lookups fanned out", n)
	}
	// AWS-managed policies are judged by name, without fetching documents.
	for _, c := range s.Calls("iam:GetPolicy") {
		if arn := c.Form.Get("PolicyArn"); arn != "arn:aws:iam::123456789012:policy/DevEverything" {
			t.Errorf("GetPolicy(%s): AWS-managed policies need no call", arn)
		}
	}
}

func TestUserWithoutMFAOrPassword(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	s.Handle("iam:GetLoginProfile", func(awsxtest.Call) awsxtest.Reply {
		return awsxtest.QueryError(http.StatusNotFound, "NoSuchEntity", "Login Profile for User Bob cannot be found.")
	})
	s.Handle("iam:ListMFADevices", awsxtest.Static(awsxtest.Body(t, "iam/ListMFADevices.xml",
		map[string]any{"User": "Bob", "Serials": []string{"arn:aws:iam::123456789012:mfa/Bob"}})))
	acct := openMember(t, s)
	got, err := acct.IAM.User(t.Context(), "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if got.LoginProfile || got.LoginCreated != nil {
		t.Errorf("LoginProfile = %v, %v; want none", got.LoginProfile, got.LoginCreated)
	}
	if !reflect.DeepEqual(got.MFADevices, []string{"arn:aws:iam::123456789012:mfa/Bob"}) {
		t.Errorf("MFADevices = %v", got.MFADevices)
	}
}

func TestUserFailsWhole(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	s.Handle("iam:ListMFADevices", func(awsxtest.Call) awsxtest.Reply {
		return awsxtest.QueryError(http.StatusForbidden, "AccessDenied", "not authorized to perform: iam:ListMFADevices")
	})
	acct := openMember(t, s)
	got, err := acct.IAM.User(t.Context(), "Bob")
	if !errors.Is(err, awsx.ErrAccessDenied) {
		t.Fatalf("User error = %v, want access denied", err)
	}
	// A user with MFA unknown must not look like a user without MFA.
	if got.MFADevices != nil || got.AccessKeys != nil || got.Policies != nil {
		t.Errorf("User on failure = %+v, want only the name", got)
	}
}

func TestRecent(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	acct := openMember(t, s)
	since := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	got, err := acct.IAM.Recent(t.Context(), since)
	if err != nil {
		t.Fatal(err)
	}
	want := evidence.RecentIAM{
		Since: since,
		Users: []evidence.User{{Name: "svc-backup", ARN: "arn:aws:iam::123456789012:user/svc-backup", Created: time.Date(2024, 5, 20, 9, 58, 0, 0, time.UTC)}},
		Keys:  []evidence.AccessKey{{ID: "AKIAI44QH8DHBEXAMPLE", UserName: "Bob", Status: "Inactive", Created: time.Date(2024, 5, 20, 10, 0, 0, 0, time.UTC)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Recent =\n%+v\nwant\n%+v", got, want)
	}
	if n := len(s.Calls("iam:ListUsers")); n != 2 {
		t.Errorf("ListUsers calls = %d, want 2 pages", n)
	}
}

func TestUserAttachedPoliciesPaged(t *testing.T) {
	t.Parallel()
	s := fakeAccount(t)
	s.Handle("iam:ListAttachedUserPolicies", func(c awsxtest.Call) awsxtest.Reply {
		if c.Form.Get("Marker") == "" {
			return awsxtest.Reply{Body: awsxtest.Body(t, "iam/ListAttachedUserPolicies.xml", map[string]any{"Marker": "p2", "Policies": []pol{
				{"AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess"},
			}})}
		}
		return awsxtest.Reply{Body: awsxtest.Body(t, "iam/ListAttachedUserPolicies.xml", map[string]any{"Marker": "", "Policies": []pol{
			{"AWSCompromisedKeyQuarantineV3", "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"},
		}})}
	})
	acct := openMember(t, s)
	got, err := acct.IAM.User(t.Context(), "Bob")
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	var names []string
	for _, p := range got.Policies {
		if p.Via == "user" && p.ARN != "" {
			names = append(names, p.Name)
		}
	}
	if want := []string{"AWSCompromisedKeyQuarantineV3", "AdministratorAccess"}; !reflect.DeepEqual(names, want) {
		t.Errorf("attached user policies = %v, want %v", names, want)
	}
	calls := s.Calls("iam:ListAttachedUserPolicies")
	if len(calls) != 2 || calls[1].Form.Get("Marker") != "p2" {
		t.Errorf("ListAttachedUserPolicies calls = %d, want 2 with the second continuing at p2", len(calls))
	}
}
