package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Subnet groups of the VPC. The fleet's nodes sit in public subnets
// because phones and trunks reach them directly on their Elastic IPs; the
// streamsync function sits in isolated subnets, which have no route to the
// internet at all, only to the fleet and to DynamoDB's gateway endpoint.
const (
	subnetFleet = "Fleet"
	subnetSync  = "Sync"
)

// vpcMaxAZs spreads the fleet over two zones, so one zone's outage leaves
// half the nodes (and their addresses) answering.
const vpcMaxAZs = 2

// network is the VPC the fleet and streamsync share.
type network struct {
	vpc awsec2.Vpc
	// syncSG is streamsync's security group: the only source the fleet's
	// sync port accepts.
	syncSG awsec2.SecurityGroup
}

// newNetwork defines the VPC: public and isolated subnets in two zones, no
// NAT gateway (nothing in it needs one), and a DynamoDB gateway endpoint,
// so the isolated streamsync function can read the table and the nodes'
// table traffic stays off the internet. It also defines streamsync's
// security group, which may reach DynamoDB's endpoint on 443 and nothing
// else yet (newFleet adds the fleet's sync port).
func newNetwork(scope constructs.Construct) network {
	vpc := awsec2.NewVpc(scope, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(vpcMaxAZs),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String(subnetFleet), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String(subnetSync), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"DynamoDB": {Service: awsec2.GatewayVpcEndpointAwsService_DYNAMODB()},
		},
	})
	sg := awsec2.NewSecurityGroup(scope, jsii.String("SyncSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Switchboard streamsync: pushes table changes to the sync port of the fleet"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddEgressRule(awsec2.Peer_PrefixList(dynamoDBPrefixList(scope)), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("DynamoDB through the gateway endpoint"), nil)
	return network{vpc: vpc, syncSG: sg}
}

// dynamoDBPrefixList returns the ID of the region's managed prefix list of
// DynamoDB, which a security group rule needs to allow the gateway
// endpoint. CloudFormation exposes no such attribute and a synth-time
// lookup would tie the template to credentials, so a custom resource reads
// it once at deploy time.
func dynamoDBPrefixList(scope constructs.Construct) *string {
	call := &customresources.AwsSdkCall{
		Service: jsii.String("EC2"),
		Action:  jsii.String("DescribePrefixLists"),
		Parameters: map[string]any{
			"Filters": []map[string]any{{
				"Name":   "prefix-list-name",
				"Values": []*string{awscdk.Fn_Join(jsii.String(""), jsii.Strings("com.amazonaws.", *awscdk.Aws_REGION(), ".dynamodb"))},
			}},
		},
		PhysicalResourceId: customresources.PhysicalResourceId_FromResponse(jsii.String("PrefixLists.0.PrefixListId")),
		OutputPaths:        jsii.Strings("PrefixLists.0.PrefixListId"),
	}
	lookup := customresources.NewAwsCustomResource(scope, jsii.String("DynamoDBPrefixList"), &customresources.AwsCustomResourceProps{
		OnCreate:            call,
		OnUpdate:            call,
		Policy:              customresources.AwsCustomResourcePolicy_FromSdkCalls(&customresources.SdkCallsPolicyOptions{Resources: customresources.AwsCustomResourcePolicy_ANY_RESOURCE()}),
		InstallLatestAwsSdk: jsii.Bool(false),
	})
	return lookup.GetResponseField(jsii.String("PrefixLists.0.PrefixListId"))
}
