// Command ctgen writes a deterministic synthetic CloudTrail corpus shaped
// like a trail's S3 bucket (gzip'd {"Records":[...]} objects) for the
// benchmark. Records mimic real ones: assumed-role sessions, EC2/S3/IAM/
// Lambda calls with bodies of realistic size, a sprinkle of attack events.
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

func main() {
	out := flag.String("out", "build/bench/cloudtrail", "output directory")
	mb := flag.Int("mb", 200, "approximate gzip'd size to write, in MB")
	perFile := flag.Int("records", 2000, "records per object")
	flag.Parse()
	if err := run(*out, *mb, *perFile); err != nil {
		fmt.Fprintln(os.Stderr, "ctgen:", err)
		os.Exit(1)
	}
}

var (
	regions = []string{"us-east-1", "us-east-1", "us-east-1", "eu-west-1", "eu-west-1", "us-west-2"}
	agents  = []string{"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances",
		"Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
		"aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1",
		"console.amazonaws.com", "terraform-provider-aws/5.43.0 (+https://registry.terraform.io) aws-sdk-go-v2/1.26.1"}
	calls = []struct{ src, name string }{
		{"ec2", "DescribeInstances"}, {"ec2", "DescribeSecurityGroups"}, {"s3", "GetObject"}, {"s3", "PutObject"}, {"s3", "ListBuckets"},
		{"sts", "AssumeRole"}, {"kms", "Decrypt"}, {"kms", "GenerateDataKey"}, {"logs", "CreateLogStream"}, {"lambda", "GetFunction20150331v2"},
		{"dynamodb", "DescribeTable"}, {"iam", "GetRole"}, {"iam", "ListRoles"}, {"secretsmanager", "GetSecretValue"}, {"ssm", "GetParameter"},
		{"cloudwatch", "GetMetricData"}, {"ecr", "GetAuthorizationToken"}, {"autoscaling", "DescribeAutoScalingGroups"},
	}
	attacks = []struct{ src, name string }{{"iam", "CreateUser"}, {"iam", "CreateAccessKey"}, {"iam", "AttachUserPolicy"}, {"cloudtrail", "StopLogging"}, {"ec2", "RunInstances"}}
)

func run(dir string, mb, perFile int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("unable to create %s: %w", dir, err)
	}
	rng := rand.New(rand.NewPCG(42, 7))
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var written int64
	for i := 0; written < int64(mb)<<20; i++ {
		t := start.Add(time.Duration(i) * 5 * time.Minute)
		name := filepath.Join(dir, t.Format("2006/01/02"), fmt.Sprintf("111122223333_CloudTrail_us-east-1_%s_%04d.json.gz", t.Format("20060102T1504Z"), i))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return fmt.Errorf("unable to create directory: %w", err)
		}
		recs := make([]map[string]any, perFile)
		for j := range recs {
			recs[j] = record(rng, t.Add(time.Duration(j)*150*time.Millisecond), i*perFile+j)
		}
		n, err := writeObject(name, recs)
		if err != nil {
			return err
		}
		written += n
	}
	return nil
}

// writeObject writes recs as one gzip'd {"Records":[...]} object and
// returns its size.
func writeObject(name string, recs []map[string]any) (int64, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, fmt.Errorf("unable to create %s: %w", name, err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
		return 0, fmt.Errorf("unable to write %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("unable to write %s: %w", name, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, fmt.Errorf("unable to size %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("unable to close %s: %w", name, err)
	}
	return size, nil
}

func hex(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func record(rng *rand.Rand, t time.Time, seq int) map[string]any {
	c := calls[rng.IntN(len(calls))]
	if rng.IntN(20000) == 0 {
		c = attacks[rng.IntN(len(attacks))]
	}
	// Sessions (and their temporary keys) are reused across many calls,
	// as in real trails.
	sid := rng.IntN(2000)
	role := fmt.Sprintf("app-role-%d", sid%40)
	session := fmt.Sprintf("session-%d", sid)
	key := fmt.Sprintf("ASIA%016X", uint64(sid)*0x9E3779B97F4A7C15)
	region := regions[rng.IntN(len(regions))]
	req := map[string]any{"bucketName": "data-" + hex(rng, 6), "key": "objects/" + hex(rng, 24) + ".parquet",
		"Host": "s3." + region + ".amazonaws.com", "x-id": c.name}
	if rng.IntN(3) == 0 {
		req = map[string]any{"instancesSet": map[string]any{"items": []map[string]any{{"instanceId": "i-" + hex(rng, 17)}}}, "filterSet": map[string]any{},
			"maxResults": 1000, "includeAllInstances": false}
	}
	var resp any
	if rng.IntN(4) == 0 {
		resp = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA" + hex(rng, 16), "expiration": "Jun 1, 2024, 1:00:00 PM"},
			"assumedRoleUser": map[string]any{"assumedRoleId": "AROA" + hex(rng, 17) + ":" + session, "arn": "arn:aws:sts::111122223333:assumed-role/" + role + "/" + session}}
	}
	return map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "AssumedRole", "principalId": "AROA" + hex(rng, 17) + ":" + session,
			"arn": "arn:aws:sts::111122223333:assumed-role/" + role + "/" + session, "accountId": "111122223333", "accessKeyId": key,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + hex(rng, 17),
				"arn": "arn:aws:iam::111122223333:role/" + role, "accountId": "111122223333", "userName": role},
				"webIdFederationData": map[string]any{}, "attributes": map[string]any{"creationDate": t.Add(-time.Hour).Format(time.RFC3339), "mfaAuthenticated": "false"}}},
		"eventTime": t.Format(time.RFC3339), "eventSource": c.src + ".amazonaws.com", "eventName": c.name, "awsRegion": region,
		"sourceIPAddress": fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256)), "userAgent": agents[rng.IntN(len(agents))],
		"requestParameters": req, "responseElements": resp, "requestID": hex(rng, 8) + "-" + hex(rng, 4) + "-" + hex(rng, 4) + "-" + hex(rng, 12),
		"eventID": fmt.Sprintf("%08x-%s", seq, hex(rng, 24)), "readOnly": c.name[:3] == "Get" || c.name[:4] == "List" || c.name[:4] == "Desc",
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management",
		"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": c.src + "." + region + ".amazonaws.com"},
	}
}
