package stacks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMemberActionsMatchLookups reads the lookup adapters' source and checks
// that the member role grants every operation they call and nothing they
// do not: a missing grant is a gap in every case, an extra one is
// privilege nobody uses.
func TestMemberActionsMatchLookups(t *testing.T) {
	t.Parallel()
	// A direct call (client.DescribeInstances(...)) or a paginator
	// (iam.NewListUsersPaginator(...)).
	opCall := regexp.MustCompile(`\.((?:Describe|List|Get|Lookup)[A-Z]\w*)\(|New((?:Describe|List|Get|Lookup)\w+)Paginator\(`)
	called := map[string]bool{}
	for _, dir := range []string{"../../pkg/lookup", "../../pkg/sesrep/sesaws"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no sources in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range opCall.FindAllStringSubmatch(string(b), -1) {
				called[m[1]+m[2]] = true
			}
		}
	}
	// Calls the hub makes with its own credentials, not the member role's.
	delete(called, "GetCallerIdentity")
	granted := map[string]bool{}
	for _, a := range MemberReadActions {
		_, op, _ := strings.Cut(a, ":")
		granted[op] = true
		if op == "GET" { // apigateway:GET covers every API Gateway read
			continue
		}
		if !called[op] {
			t.Errorf("member role grants %s, which no lookup calls", a)
		}
	}
	var missing []string
	for op := range called {
		if isAPIGatewayRead(op) {
			continue
		}
		if !granted[op] {
			missing = append(missing, op)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("lookups call %v, which the member role does not grant", missing)
	}
}

// isAPIGatewayRead names the API Gateway v1/v2 reads, which IAM authorises
// as apigateway:GET rather than by operation.
func isAPIGatewayRead(op string) bool {
	switch op {
	case "GetRestApis", "GetResources", "GetApis", "GetIntegrations":
		return true
	}
	return false
}
