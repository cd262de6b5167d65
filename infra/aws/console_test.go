package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/console"
)

// Managed CloudFront policies by their fixed ids.
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

func TestConsole(t *testing.T) {
	s := synthesize(t)
	nested := awscdk.Stack_Of(s.stack.Node().FindChild(jsii.String("Console")))
	tmpl := assertions.Template_FromStack(nested, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]resource `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	c := synthesized{stack: nested, template: tmpl, resources: doc.Resources}

	t.Run("nested stack and output", func(t *testing.T) {
		check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::CloudFormation::Stack"), jsii.Number(1)) })
		check(t, func() {
			s.template.HasOutput(jsii.String("ConsoleUrl"), props{"Value": assertions.Match_AnyValue()})
		})
	})
	t.Run("bucket", c.testConsoleBucket)
	t.Run("distribution", c.testDistribution)
	t.Run("deployments", c.testDeployments)
}

func (c synthesized) testConsoleBucket(t *testing.T) {
	const bucket = "AWS::S3::Bucket"
	check(t, func() { c.template.ResourceCountIs(jsii.String(bucket), jsii.Number(1)) })
	check(t, func() {
		c.template.HasResourceProperties(jsii.String(bucket), props{
			"PublicAccessBlockConfiguration": props{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"BucketEncryption":  assertions.Match_AnyValue(),
			"OwnershipControls": props{"Rules": []any{props{"ObjectOwnership": "BucketOwnerEnforced"}}},
		})
	})
	// Only CloudFront reads the files, and only for this distribution; and
	// only over TLS.
	dist := c.logicalID(t, "AWS::CloudFront::Distribution", nil)
	check(t, func() {
		c.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), props{"PolicyDocument": props{
			"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&props{
					"Effect": "Deny", "Action": "s3:*",
					"Condition": props{"Bool": props{"aws:SecureTransport": "false"}},
				}),
				assertions.Match_ObjectLike(&props{
					"Effect":    "Allow",
					"Action":    "s3:GetObject",
					"Principal": props{"Service": "cloudfront.amazonaws.com"},
					"Condition": props{"StringEquals": props{"AWS:SourceArn": assertions.Match_AnyValue()}},
				}),
			}),
		}})
	})
	policy := c.logicalID(t, "AWS::S3::BucketPolicy", nil)
	if !refersTo(c.resources[policy].Properties["PolicyDocument"], dist) {
		t.Errorf("the bucket policy's CloudFront grant does not name the distribution %s", dist)
	}
}

func (c synthesized) testDistribution(t *testing.T) {
	const typ = "AWS::CloudFront::Distribution"
	check(t, func() { c.template.ResourceCountIs(jsii.String(typ), jsii.Number(1)) })
	check(t, func() {
		c.template.HasResourceProperties(jsii.String("AWS::CloudFront::OriginAccessControl"), props{
			"OriginAccessControlConfig": props{
				"OriginAccessControlOriginType": "s3",
				"SigningBehavior":               "always",
				"SigningProtocol":               "sigv4",
			},
		})
	})
	oac := c.logicalID(t, "AWS::CloudFront::OriginAccessControl", nil)
	bucket := c.logicalID(t, "AWS::S3::Bucket", nil)
	dist := c.logicalID(t, typ, nil)
	cfg, _ := c.resources[dist].Properties["DistributionConfig"].(map[string]any)
	if cfg["DefaultRootObject"] != "index.html" {
		t.Errorf("DefaultRootObject = %v, want index.html", cfg["DefaultRootObject"])
	}
	def, _ := cfg["DefaultCacheBehavior"].(map[string]any)
	if def["ViewerProtocolPolicy"] != "redirect-to-https" {
		t.Errorf("default behavior ViewerProtocolPolicy = %v, want redirect-to-https", def["ViewerProtocolPolicy"])
	}

	origins := map[string]map[string]any{}
	list, _ := cfg["Origins"].([]any)
	for _, o := range list {
		o := o.(map[string]any)
		origins[o["Id"].(string)] = o
	}
	s3origin := origins[def["TargetOriginId"].(string)]
	if s3origin == nil || !refersTo(s3origin["DomainName"], bucket) {
		t.Fatalf("the default behavior's origin %v is not the console bucket", s3origin)
	}
	if !refersTo(s3origin["OriginAccessControlId"], oac) {
		t.Errorf("the bucket origin does not use the origin access control: %v", s3origin)
	}

	behaviors, _ := cfg["CacheBehaviors"].([]any)
	var api map[string]any
	for _, b := range behaviors {
		if b := b.(map[string]any); b["PathPattern"] == consoleAPIPath {
			api = b
		}
	}
	if api == nil {
		t.Fatalf("no %s behavior in %v", consoleAPIPath, behaviors)
	}
	want := map[string]any{
		"ViewerProtocolPolicy":  "redirect-to-https",
		"CachePolicyId":         cachingDisabled,
		"OriginRequestPolicyId": allViewerExceptHostHeader,
	}
	for k, v := range want {
		if api[k] != v {
			t.Errorf("%s behavior %s = %v, want %v", consoleAPIPath, k, api[k], v)
		}
	}
	methods, _ := api["AllowedMethods"].([]any)
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"} {
		if !containsValue(methods, m) {
			t.Errorf("%s behavior does not allow %s: %v", consoleAPIPath, m, methods)
		}
	}
	apiOrigin := origins[api["TargetOriginId"].(string)]
	custom, _ := apiOrigin["CustomOriginConfig"].(map[string]any)
	if custom["OriginProtocolPolicy"] != "https-only" {
		t.Errorf("API origin %v is not reached over HTTPS only", apiOrigin)
	}
	// The API origin's host comes from the parent stack's HTTP API.
	if domain, _ := json.Marshal(apiOrigin["DomainName"]); !strings.Contains(string(domain), "HttpApi") {
		t.Errorf("API origin domain %s does not come from the HTTP API", domain)
	}
}

func containsValue(list []any, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

func (c synthesized) testDeployments(t *testing.T) {
	const typ = "Custom::CDKBucketDeployment"
	check(t, func() { c.template.ResourceCountIs(jsii.String(typ), jsii.Number(2)) })
	prefix := strings.TrimPrefix(console.AssetPath(), "/")
	check(t, func() {
		c.template.HasResourceProperties(jsii.String(typ), props{
			"DestinationBucketKeyPrefix": prefix,
			"Prune":                      false,
			"SystemMetadata":             props{"cache-control": console.AssetCacheControl},
		})
	})
	check(t, func() {
		c.template.HasResourceProperties(jsii.String(typ), props{
			"Prune":             false,
			"SystemMetadata":    props{"cache-control": console.IndexCacheControl, "content-type": "text/html; charset=utf-8"},
			"DistributionPaths": []any{"/", "/index.html"},
		})
	})
}
