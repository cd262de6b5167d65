package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/console"
)

// consoleAPIPath is the CloudFront path pattern sent to the HTTP API: the
// console calls the API on its own origin, so it needs no CORS and its
// session token never leaves the console's domain.
const consoleAPIPath = "/v1/*"

// newConsole defines the web console's hosting in a nested stack of its
// own: a private bucket with the files of functions/console, laid out as
// the console package serves them locally (index.html at the root, every
// other file under the content-hashed asset path), and a CloudFront
// distribution that serves the bucket through Origin Access Control and
// routes /v1/* to the HTTP API. The console has its own template because
// its resources (the distribution, the deployment's helper functions) have
// nothing to do with the data and API resources and change on their own
// schedule. The distribution's address is the stack output ConsoleUrl.
func newConsole(stack awscdk.Stack, api awsapigatewayv2.HttpApi) (awscdk.NestedStack, error) {
	root, err := moduleRoot(context.Background())
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	dir := filepath.Join(root, "functions", "console")
	nested := awscdk.NewNestedStack(stack, jsii.String("Console"), &awscdk.NestedStackProps{
		Description: jsii.String("Switchboard web console: files in S3 behind CloudFront"),
	})

	bucket := awss3.NewBucket(nested, jsii.String("Files"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// The files are rebuilt from the repository on every deployment,
		// so unlike the data buckets this one goes with the stack.
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects: jsii.Bool(true),
	})

	// The API's endpoint is https://<id>.execute-api.<region>.<suffix>;
	// CloudFront wants the host alone.
	apiHost := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), api.ApiEndpoint(), nil))
	dist := awscloudfront.NewDistribution(nested, jsii.String("Distribution"), &awscloudfront.DistributionProps{
		Comment:           jsii.String("Switchboard web console and API"),
		DefaultRootObject: jsii.String("index.html"),
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:        awscloudfront.PriceClass_PRICE_CLASS_100,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: awscloudfront.ResponseHeadersPolicy_SECURITY_HEADERS(),
			Compress:              jsii.Bool(true),
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			consoleAPIPath: {
				Origin: awscloudfrontorigins.NewHttpOrigin(apiHost, &awscloudfrontorigins.HttpOriginProps{
					ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
				}),
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				// API answers are never cached. With caching disabled the
				// all-viewer policy also forwards the Authorization header;
				// the Host header stays CloudFront's so that API Gateway
				// recognizes its own domain.
				CachePolicy:         awscloudfront.CachePolicy_CACHING_DISABLED(),
				OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			},
		},
	})

	// Assets first, under their content-hashed prefix, cached for a year;
	// then the page that names them, revalidated on every load. Neither
	// deployment prunes: a browser that loaded the previous page still
	// finds the previous assets.
	assets := awss3deployment.NewBucketDeployment(nested, jsii.String("Assets"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources: &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(dir), &awss3assets.AssetOptions{
			Exclude: jsii.Strings("*.go", "index.html"),
		})},
		DestinationKeyPrefix: jsii.String(strings.TrimPrefix(console.AssetPath(), "/")),
		CacheControl:         &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(console.AssetCacheControl))},
		Prune:                jsii.Bool(false),
	})
	page := awss3deployment.NewBucketDeployment(nested, jsii.String("Page"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Data(jsii.String("index.html"), jsii.String(string(console.Index())), nil)},
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(console.IndexCacheControl))},
		ContentType:       jsii.String(console.ContentType("index.html")),
		Prune:             jsii.Bool(false),
		Distribution:      dist,
		DistributionPaths: jsii.Strings("/", "/index.html"),
	})
	page.Node().AddDependency(assets)

	awscdk.NewCfnOutput(stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Address of the web console"),
		Value:       awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), dist.DistributionDomainName()}),
	})
	return nested, nil
}
