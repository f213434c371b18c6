package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
)

// Not parallel: app.Handlers reads AWS_REGION from the process
// environment.
func TestBuild(t *testing.T) {
	t.Setenv("AWS_REGION", "ap-northeast-2")
	base := map[string]string{
		"ABUSEDESK_TABLE": "abusedesk", "ABUSEDESK_BUS": "abusedesk", "ABUSEDESK_REPORT_BUCKET": "reports-bucket",
		"ABUSEDESK_EXTERNAL_ID": "ext", "AWS_REGION": "ap-northeast-2",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
	}
	with := func(k, v string) func(string) string {
		return func(name string) string {
			if name == k {
				return v
			}
			return base[name]
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name    string
		getenv  func(string) string
		regions []string
		ok      bool
	}{
		{"defaults to the function's region", with("", ""), []string{"ap-northeast-2"}, true},
		{"intake regions", with(EnvIntakeRegions, "us-west-2, us-east-1"), []string{"us-west-2", "us-east-1"}, true},
		{"no bucket", with("ABUSEDESK_REPORT_BUCKET", ""), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := build(context.Background(), tt.getenv, log)
			if (err == nil) != tt.ok {
				t.Fatalf("build: %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				return
			}
			if h.Bucket != "reports-bucket" || !slices.Equal(h.Regions, tt.regions) || h.Importer.Pipeline.Engine == nil || h.Bus == nil {
				t.Errorf("handler %+v, regions %v want %v", h, h.Regions, tt.regions)
			}
		})
	}
}
