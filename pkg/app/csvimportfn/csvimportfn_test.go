package csvimportfn

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/abusedesk/abusedesk/pkg/config"
)

func TestCSVImportWiring(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		config.EnvTable: "abusedesk", config.EnvBus: "abusedesk", config.EnvReportBucket: "reports-bucket",
		config.EnvExternalID: "ext", config.EnvRegion: "ap-northeast-2",
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
		{"intake regions", with(config.EnvIntakeRegions, "us-west-2, us-east-1"), []string{"us-west-2", "us-east-1"}, true},
		{"no bucket", with(config.EnvReportBucket, ""), nil, false},
		{"no region at all", with(config.EnvRegion, ""), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.FromEnv(tt.getenv)
			if err != nil {
				t.Fatal(err)
			}
			h, err := Handler(context.Background(), cfg, log)
			if (err == nil) != tt.ok {
				t.Fatalf("Handler: %v, want ok %v", err, tt.ok)
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
