package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/store"
)

// synthesized is the stack under test, synthesized once: the jsii runtime
// takes seconds per synthesis, so every subtest reads the same template.
type synthesized struct {
	stack    awscdk.Stack
	template assertions.Template
	// resources is the raw template's Resources section, for checks that
	// follow references between resources (route to integration to
	// function), which the matchers cannot express.
	resources map[string]resource
	// parameters is the raw template's Parameters section.
	parameters map[string]any
}

func TestStack(t *testing.T) {
	s := synthesize(t)
	t.Run("table", s.testTable)
	t.Run("buckets", s.testBuckets)
	t.Run("functions", s.testFunctions)
	t.Run("grants", s.testGrants)
	t.Run("api", s.testAPI)
	t.Run("stream", s.testStream)
	t.Run("outputs and tags", s.testOutputsAndTags)
	t.Run("secrets", s.testSecrets)
	t.Run("webhook queue", s.testWebhookQueue)
	t.Run("network", s.testNetwork)
	t.Run("fleet", s.testFleet)
}

// testSecrets checks the key that seals SIP passwords: rotated, retained,
// usable by every HTTP function, named in their environment with the SIP
// domain; and that the users function may send e-mail.
func (s synthesized) testSecrets(t *testing.T) {
	s.template.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(1))
	s.template.HasResource(jsii.String("AWS::KMS::Key"), map[string]any{
		"Properties":     map[string]any{"EnableKeyRotation": true},
		"DeletionPolicy": "Retain",
	})
	for _, f := range gateway.HTTP {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Description": functionDescription(f.Name),
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				envSIPDomain: DefaultSIPDomain,
				envKMSKeyID:  assertions.Match_AnyValue(),
			})},
		})
	}
	for _, name := range gateway.Event {
		if name == webhookFunction {
			continue // opens the signing secrets of webhooks (testWebhookQueue)
		}
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Description": functionDescription(name),
			"Environment": map[string]any{"Variables": assertions.Match_Not(assertions.Match_ObjectLike(&map[string]any{envKMSKeyID: assertions.Match_AnyValue()}))},
		})
	}
	s.template.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Action": []any{"ses:SendEmail", "ses:SendRawEmail"}, "Effect": "Allow"}),
		})},
	})
	s.template.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Action": assertions.Match_ArrayWith(&[]any{"kms:Decrypt", "kms:Encrypt"})}),
		})},
	})
}

// synthesize builds the stack with cdk.json's feature flags, as the CLI
// would, and with placeholder function code instead of real builds.
func synthesize(t *testing.T) synthesized {
	t.Helper()
	silenceNodeWarnings(t)
	cdkContext, err := fileContext(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &cdkContext, Outdir: jsii.String(t.TempDir())})
	stack, err := NewStack(app, "Test", StackProps{CodeDir: placeholderCode(t, gateway.Names())})
	if err != nil {
		t.Fatalf("NewStack: %v", err)
	}
	return fromStack(t, stack)
}

// fromStack synthesizes stack and decodes its template.
func fromStack(t *testing.T, stack awscdk.Stack) synthesized {
	t.Helper()
	s := synthesized{stack: stack, template: assertions.Template_FromStack(stack, nil)}
	raw, err := json.Marshal(s.template.ToJSON())
	if err != nil {
		t.Fatalf("encode template: %v", err)
	}
	var tmpl struct {
		Resources  map[string]resource `json:"Resources"`
		Parameters map[string]any      `json:"Parameters"`
	}
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatalf("decode template: %v", err)
	}
	s.resources = tmpl.Resources
	s.parameters = tmpl.Parameters
	return s
}

// silenceNodeWarnings keeps jsii's banners about the machine's Node version
// out of the test log. It must run before the first jsii call of the test.
func silenceNodeWarnings(t *testing.T) {
	t.Helper()
	t.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	t.Setenv("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
	// The end-of-life banner is silenced per major version only.
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
		t.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", major)
	}
	// The CDK packages' init functions already created the runtime process
	// (not yet started) with the environment as it was then. Closing it makes
	// the next jsii call create a new one that sees the variables above.
	jsii.Close()
	t.Cleanup(jsii.Close)
}

// placeholderCode writes a folder with a dummy bootstrap file per function
// and a dummy fleet program, which is all synthesis needs of the code: the
// tests neither cross-compile the functions nor need the fleet's package.
func placeholderCode(t *testing.T, names []string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, fleetCodeDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fleetCodeDir, fleetBinary), []byte("placeholder fleet"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte("placeholder "+name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// check runs an assertions call. The assertions package reports a mismatch
// by panicking with the matcher's explanation; check turns that into a test
// error so the other checks still run.
func check(t *testing.T, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	assertion()
}

// props is shorthand for the matcher patterns.
type props = map[string]any

func (s synthesized) testTable(t *testing.T) {
	def := store.Definition("")
	const typ = "AWS::DynamoDB::Table"
	check(t, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(1)) })

	indexes := make([]any, 0, len(def.Indexes))
	attrs := []string{store.AttrPK, store.AttrSK}
	for _, ix := range def.Indexes {
		indexes = append(indexes, props{
			"IndexName":  ix.Name,
			"KeySchema":  keySchema(ix.PK, ix.SK),
			"Projection": props{"ProjectionType": "ALL"},
		})
		attrs = append(attrs, ix.PK, ix.SK)
	}
	cases := []struct {
		name  string
		props props
	}{
		{"key schema", props{"KeySchema": keySchema(store.AttrPK, store.AttrSK)}},
		{"global secondary indexes", props{"GlobalSecondaryIndexes": assertions.Match_ArrayEquals(&indexes)}},
		{"ttl", props{"TimeToLiveSpecification": props{"AttributeName": def.TTL, "Enabled": true}}},
		{"stream", props{"StreamSpecification": props{"StreamViewType": def.StreamView}}},
		{"on-demand billing", props{"BillingMode": "PAY_PER_REQUEST"}},
		{"point-in-time recovery", props{"PointInTimeRecoverySpecification": props{"PointInTimeRecoveryEnabled": true}}},
		{"deletion protection", props{"DeletionProtectionEnabled": true}},
	}
	for _, a := range attrs {
		cases = append(cases, struct {
			name  string
			props props
		}{"attribute " + a, props{"AttributeDefinitions": assertions.Match_ArrayWith(&[]any{
			props{"AttributeName": a, "AttributeType": "S"},
		})}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, func() { s.template.HasResourceProperties(jsii.String(typ), tc.props) })
		})
	}
	t.Run("retained", func(t *testing.T) {
		check(t, func() {
			s.template.HasResource(jsii.String(typ), props{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
		})
	})
}

func keySchema(pk, sk string) []any {
	return []any{
		props{"AttributeName": pk, "KeyType": "HASH"},
		props{"AttributeName": sk, "KeyType": "RANGE"},
	}
}

func (s synthesized) testBuckets(t *testing.T) {
	const bucket, policy = "AWS::S3::Bucket", "AWS::S3::BucketPolicy"
	cases := []struct {
		name  string
		check func()
	}{
		{"three buckets", func() { s.template.ResourceCountIs(jsii.String(bucket), jsii.Number(3)) }},
		{"encryption", func() {
			s.template.AllResourcesProperties(jsii.String(bucket), props{"BucketEncryption": props{
				"ServerSideEncryptionConfiguration": []any{props{
					"ServerSideEncryptionByDefault": props{"SSEAlgorithm": assertions.Match_AnyValue()},
				}},
			}})
		}},
		{"public access blocked", func() {
			s.template.AllResourcesProperties(jsii.String(bucket), props{"PublicAccessBlockConfiguration": props{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			}})
		}},
		{"retained", func() {
			s.template.AllResources(jsii.String(bucket), props{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
		}},
		{"one versioned bucket", func() {
			s.template.ResourcePropertiesCountIs(jsii.String(bucket),
				props{"VersioningConfiguration": props{"Status": "Enabled"}}, jsii.Number(1))
		}},
		{"three policies", func() { s.template.ResourceCountIs(jsii.String(policy), jsii.Number(3)) }},
		{"TLS only", func() {
			s.template.AllResourcesProperties(jsii.String(policy), props{"PolicyDocument": props{
				// Elements of an arrayWith pattern match exactly unless
				// wrapped in objectLike.
				"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&props{
					"Effect":    "Deny",
					"Action":    "s3:*",
					"Condition": props{"Bool": props{"aws:SecureTransport": "false"}},
				})}),
			}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.check) })
	}

	// Each bucket has its own TLS policy, and the versioned one is the
	// documents bucket.
	for _, name := range []string{"Exports", "Recordings", "Documents"} {
		t.Run(name, func(t *testing.T) {
			id := s.logicalID(t, bucket, func(id string, _ resource) bool { return strings.HasPrefix(id, name) })
			s.logicalID(t, policy, func(_ string, r resource) bool {
				return refersTo(r.Properties["Bucket"], id)
			})
			versioning, _ := s.resources[id].Properties["VersioningConfiguration"].(map[string]any)
			if got, want := versioning["Status"] == "Enabled", name == "Documents"; got != want {
				t.Errorf("bucket %s versioned = %v, want %v", id, got, want)
			}
		})
	}
}

func (s synthesized) testFunctions(t *testing.T) {
	const typ = "AWS::Lambda::Function"
	check(t, func() {
		s.template.ResourcePropertiesCountIs(jsii.String(typ),
			props{"Description": assertions.Match_StringLikeRegexp(jsii.String("^Switchboard .* function$"))},
			jsii.Number(len(gateway.Names())))
	})
	// Besides them, only the providers of the stack's two custom resources:
	// the VPC's default security group lockdown and the prefix list lookup.
	check(t, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(len(gateway.Names())+2)) })
	check(t, func() {
		s.template.ResourcePropertiesCountIs(jsii.String("AWS::Logs::LogGroup"),
			props{"RetentionInDays": 30}, jsii.Number(len(gateway.Names())))
	})
	table := s.logicalID(t, "AWS::DynamoDB::Table", nil)
	for _, name := range gateway.Names() {
		t.Run(name, func(t *testing.T) {
			timeout := 60
			if isHTTP(name) {
				timeout = 10
			}
			check(t, func() {
				s.template.HasResourceProperties(jsii.String(typ), props{
					"Description":   functionDescription(name),
					"Runtime":       "provided.al2023",
					"Architectures": []any{"arm64"},
					"Handler":       "bootstrap",
					"MemorySize":    256,
					"Timeout":       timeout,
					"LoggingConfig": props{"LogFormat": "JSON", "LogGroup": props{"Ref": assertions.Match_AnyValue()}},
					"Environment": props{"Variables": props{
						"TABLE_NAME":        props{"Ref": table},
						"EXPORTS_BUCKET":    props{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Exports"))},
						"RECORDINGS_BUCKET": props{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Recordings"))},
						"DOCUMENTS_BUCKET":  props{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Documents"))},
						"LOG_FORMAT":        "json",
					}},
				})
			})
		})
	}
}

func isHTTP(name string) bool {
	return slices.ContainsFunc(gateway.HTTP, func(f gateway.Function) bool { return f.Name == name })
}

func (s synthesized) testStream(t *testing.T) {
	const typ = "AWS::Lambda::EventSourceMapping"
	table := s.logicalID(t, "AWS::DynamoDB::Table", nil)
	check(t, func() {
		s.template.ResourcePropertiesCountIs(jsii.String(typ), props{"EventSourceArn": props{"Fn::GetAtt": []any{table, "StreamArn"}}}, jsii.Number(1))
	})
	check(t, func() {
		s.template.HasResourceProperties(jsii.String(typ), props{
			"FunctionName":               props{"Ref": s.functionID(t, "streamsync")},
			"EventSourceArn":             props{"Fn::GetAtt": []any{table, "StreamArn"}},
			"StartingPosition":           "TRIM_HORIZON",
			"BatchSize":                  100,
			"BisectBatchOnFunctionError": true,
			"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
		})
	})
	id := s.logicalID(t, typ, func(_ string, r resource) bool { return r.Properties["StartingPosition"] != nil })
	// Only the items the fleet follows invoke streamsync (stream_test.go
	// checks what the filters pass).
	if f := flatten(s.resources[id].Properties["FilterCriteria"]); !strings.Contains(f, `"NewImage"`) || !strings.Contains(f, `"REMOVE"`) {
		t.Errorf("stream event source filters %q, want the followed types of new and removed items", f)
	}
	// Unbounded retries (-1, or the property left out) would let one bad
	// record block its shard until the record expires.
	retries, ok := s.resources[id].Properties["MaximumRetryAttempts"].(float64)
	if !ok || retries < 0 || retries > 10000 {
		t.Errorf("MaximumRetryAttempts = %v, want a bound between 0 and 10000", s.resources[id].Properties["MaximumRetryAttempts"])
	}
}

func (s synthesized) testOutputsAndTags(t *testing.T) {
	for _, name := range []string{"ApiUrl", "TableName"} {
		t.Run(name, func(t *testing.T) {
			check(t, func() { s.template.HasOutput(jsii.String(name), props{"Value": assertions.Match_AnyValue()}) })
		})
	}
	t.Run("app tag", func(t *testing.T) {
		tags := s.stack.Tags().TagValues()
		if v := (*tags)["app"]; v == nil || *v != "switchboard" {
			t.Errorf("stack tag app = %v, want switchboard", v)
		}
	})
}
