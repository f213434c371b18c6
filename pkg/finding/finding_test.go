package finding

import (
	"encoding/json"
	"testing"
)

func TestOverall(t *testing.T) {
	t.Parallel()
	f := func(s ...Severity) []Finding {
		var out []Finding
		for i, v := range s {
			out = append(out, Finding{ID: string(rune('a' + i)), Severity: v})
		}
		return out
	}
	tests := []struct {
		name         string
		fs           []Finding
		want         Severity
		corroborated bool
	}{
		{"none", nil, Info, false},
		{"one medium", f(Medium, Low), Medium, false},
		{"two highs", f(High, High, Medium), High, false},
		{"three highs corroborate", f(High, High, High), Critical, true},
		{"a critical needs no corroboration", f(Critical, High, High, High), Critical, false},
	}
	for _, tt := range tests {
		if got := Overall(tt.fs); got != tt.want {
			t.Errorf("%s: Overall = %s, want %s", tt.name, got, tt.want)
		}
		if got := Corroborated(tt.fs); got != tt.corroborated {
			t.Errorf("%s: Corroborated = %v, want %v", tt.name, got, tt.corroborated)
		}
	}
}

func TestSortAndDedupe(t *testing.T) {
	t.Parallel()
	fs := []Finding{
		{ID: "b", Severity: Medium, Resource: "r"},
		{ID: "a", Severity: High, Resource: "r"},
		{ID: "b", Severity: High, Resource: "r"}, // same key, more severe
		{ID: "a", Severity: Low, Resource: "s"},
	}
	got := Dedupe(fs)
	Sort(got)
	want := []string{"a|r high", "b|r high", "a|s low"}
	if len(got) != len(want) {
		t.Fatalf("Dedupe kept %d, want %d: %+v", len(got), len(want), got)
	}
	for i, f := range got {
		if s := f.Key() + " " + f.Severity.String(); s != want[i] {
			t.Errorf("[%d] = %s, want %s", i, s, want[i])
		}
	}
}

func TestSeverityText(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Finding{Severity: Critical})
	if err != nil || string(b) != `{"id":"","source":"","severity":"critical","title":"","reason":""}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var f Finding
	if err := json.Unmarshal([]byte(`{"severity":"HIGH"}`), &f); err != nil || f.Severity != High {
		t.Fatalf("Unmarshal = %+v, %v", f, err)
	}
	if err := json.Unmarshal([]byte(`{"severity":"urgent"}`), &f); err == nil {
		t.Fatal("an unknown severity word decoded")
	}
	if _, err := Severity(9).MarshalText(); err == nil {
		t.Fatal("an out-of-range severity encoded")
	}
}
