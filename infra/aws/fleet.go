package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Defaults of the fleet's context values.
const (
	DefaultFleetInstanceType = "c7g.large"
	DefaultFleetSize         = 2
)

// The fleet's ports. Phones and trunks reach SIP, STUN and the RTP relay
// from anywhere; the sync port, where streamsync pushes table changes, is
// for streamsync alone.
const (
	portSIP      = 5060
	portSTUN     = 10000
	portRTPFirst = 20000
	portRTPLast  = 39999
	portSync     = 7070
)

// fleetTagKey tags the fleet's Elastic IPs with the stack name, which is
// how a booting node finds the addresses it may take.
const fleetTagKey = "switchboard:fleet"

// fleetSecretLength is the length of the generated fleet secret, from which
// every node derives the key of its digest nonces.
const fleetSecretLength = 48

// fleetConfig is what the fleet is built from.
type fleetConfig struct {
	instanceType string
	size         int
	sipDomain    string
	codeDir      string // holds fleetd/switchboard-fleet
	net          network
	table        awsdynamodb.Table
	queue        awssqs.Queue // the webhook events queue the nodes publish to
	key          awskms.Key   // opens the accounts' webhook signing secrets (newCall)
}

// fleet is the media fleet's AWS shape.
type fleet struct {
	sg        awsec2.SecurityGroup
	role      awsiam.Role
	group     awsautoscaling.AutoScalingGroup
	addresses []awsec2.CfnEIP
	secret    awssecretsmanager.Secret
}

// newFleet defines the fleet: its Elastic IPs, security group, secret,
// instance role, the node program as an asset, and an Auto Scaling group
// of Graviton instances whose user data installs and starts the node.
func newFleet(scope constructs.Construct, cfg fleetConfig) (fleet, error) {
	stackName := awscdk.Aws_STACK_NAME()
	f := fleet{
		addresses: fleetAddresses(scope, cfg.size, stackName),
		sg:        fleetSecurityGroup(scope, cfg.net),
		secret: awssecretsmanager.NewSecret(scope, jsii.String("FleetSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("Switchboard fleet secret: the nodes derive their digest nonce key from it"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength:     jsii.Number(fleetSecretLength),
				ExcludePunctuation: jsii.Bool(true),
			},
		}),
	}
	binary := awss3assets.NewAsset(scope, jsii.String("FleetBinary"), &awss3assets.AssetProps{
		Path: jsii.String(filepath.Join(cfg.codeDir, fleetCodeDir, fleetBinary)),
	})
	f.role = fleetRole(scope, cfg, f, binary)

	script, err := fleetUserData(fleetSetup{
		Region:    *awscdk.Aws_REGION(),
		StackName: *stackName,
		BinaryURL: *binary.S3ObjectUrl(),
		Table:     *cfg.table.TableName(),
		SIPDomain: cfg.sipDomain,
		SecretARN: *f.secret.SecretArn(),
		QueueURL:  *cfg.queue.QueueUrl(),
		KMSKey:    *cfg.key.KeyArn(),
		RTPPorts:  fmt.Sprintf("%d-%d", portRTPFirst, portRTPLast),
		SyncPort:  portSync,
		TagKey:    fleetTagKey,
	})
	if err != nil {
		return fleet{}, err
	}
	userData := awsec2.UserData_Custom(jsii.String(script))
	template := awsec2.NewLaunchTemplate(scope, jsii.String("FleetLaunchTemplate"), &awsec2.LaunchTemplateProps{
		InstanceType: awsec2.NewInstanceType(jsii.String(cfg.instanceType)),
		MachineImage: awsec2.MachineImage_LatestAmazonLinux2023(&awsec2.AmazonLinux2023ImageSsmParameterProps{
			CpuType: awsec2.AmazonLinuxCpuType_ARM_64,
		}),
		UserData:      userData,
		Role:          f.role,
		SecurityGroup: f.sg,
		RequireImdsv2: jsii.Bool(true),
		// The user data asks the metadata service directly; one hop is all
		// it needs and keeps the tokens from reaching anything forwarded.
		HttpPutResponseHopLimit: jsii.Number(1),
		// No key pair: operators open a shell through Session Manager.
	})
	f.group = awsautoscaling.NewAutoScalingGroup(scope, jsii.String("Fleet"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:            cfg.net.vpc,
		VpcSubnets:     &awsec2.SubnetSelection{SubnetGroupName: jsii.String(subnetFleet)},
		LaunchTemplate: template,
		// One node per address: more nodes than addresses would leave the
		// extra ones without a public address to serve on.
		MinCapacity: jsii.Number(float64(cfg.size)),
		MaxCapacity: jsii.Number(float64(cfg.size)),
		// A new launch template replaces nodes one by one. The old node
		// goes first, so its address is free for the node that replaces it.
		UpdatePolicy: awsautoscaling.UpdatePolicy_RollingUpdate(&awsautoscaling.RollingUpdateOptions{
			MaxBatchSize:          jsii.Number(1),
			MinInstancesInService: jsii.Number(float64(cfg.size - 1)),
		}),
		HealthChecks: awsautoscaling.HealthChecks_Ec2(nil),
	})

	awscdk.NewCfnOutput(scope, jsii.String("FleetAddresses"), &awscdk.CfnOutputProps{
		Description: jsii.String("Public addresses of the fleet's nodes (SIP 5060, STUN 10000, RTP 20000-39999), for phones' and trunks' allow lists"),
		Value:       awscdk.Fn_Join(jsii.String(","), addressList(f.addresses)),
	})
	awscdk.NewCfnOutput(scope, jsii.String("FleetSecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secret the fleet's nodes derive their nonce key from"),
		Value:       f.secret.SecretArn(),
	})
	return f, nil
}

// fleetAddresses allocates the fleet's Elastic IPs, tagged so the nodes
// find them. They belong to the stack, not to an instance: a replaced node
// frees its address and the next one takes it, so the addresses phones and
// trunks know never change.
func fleetAddresses(scope constructs.Construct, n int, stackName *string) []awsec2.CfnEIP {
	out := make([]awsec2.CfnEIP, 0, n)
	for i := range n {
		out = append(out, awsec2.NewCfnEIP(scope, jsii.String("FleetAddress"+strconv.Itoa(i+1)), &awsec2.CfnEIPProps{
			Domain: jsii.String("vpc"),
			Tags:   &[]*awscdk.CfnTag{{Key: jsii.String(fleetTagKey), Value: stackName}},
		}))
	}
	return out
}

func addressList(eips []awsec2.CfnEIP) *[]*string {
	out := make([]*string, 0, len(eips))
	for _, e := range eips {
		out = append(out, e.AttrPublicIp())
	}
	return &out
}

// fleetSecurityGroup admits SIP (UDP and TCP), STUN and the RTP relay's
// ports from anywhere, and the sync port from streamsync's group only.
func fleetSecurityGroup(scope constructs.Construct, net network) awsec2.SecurityGroup {
	sg := awsec2.NewSecurityGroup(scope, jsii.String("FleetSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         net.vpc,
		Description: jsii.String("Switchboard fleet: SIP, STUN and RTP from anywhere, sync from streamsync"),
		// Nodes call phones, trunks, webhooks' queue and AWS APIs.
		AllowAllOutbound: jsii.Bool(true),
	})
	public := []struct {
		port awsec2.Port
		desc string
	}{
		{awsec2.Port_Udp(jsii.Number(portSIP)), "SIP over UDP"},
		{awsec2.Port_Tcp(jsii.Number(portSIP)), "SIP over TCP"},
		{awsec2.Port_Udp(jsii.Number(portSTUN)), "STUN"},
		{awsec2.Port_UdpRange(jsii.Number(portRTPFirst), jsii.Number(portRTPLast)), "RTP relay"},
	}
	for _, p := range public {
		sg.AddIngressRule(awsec2.Peer_AnyIpv4(), p.port, jsii.String(p.desc), nil)
	}
	// The RTP range happens to contain a database's well-known port; the
	// relay, not a database, listens there.
	awscdk.Validations_Of(sg).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("CloudFormation-Validate::W2508"),
		Reason: jsii.String("The RTP relay's port range is open to phones and trunks by design; no other service listens on the nodes"),
	})
	sg.Connections().AllowFrom(net.syncSG, awsec2.Port_Tcp(jsii.Number(portSync)), jsii.String("streamsync pushes table changes"))
	return sg
}

// fleetRole is the nodes' instance role: the table and its indexes, the
// fleet secret, publishing to the webhook queue, taking one of the fleet's
// addresses, reading the node program, and Session Manager.
func fleetRole(scope constructs.Construct, cfg fleetConfig, f fleet, binary awss3assets.Asset) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String("FleetRole"), &awsiam.RoleProps{
		Description: jsii.String("Switchboard fleet nodes"),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonSSMManagedInstanceCore")),
		},
	})
	cfg.table.Grants().ReadWriteData(role)
	f.secret.GrantRead(role, nil)
	cfg.queue.GrantSendMessages(role)
	// The nodes post newCall themselves, signed with the account's
	// webhook secret, which the key seals.
	cfg.key.GrantDecrypt(role)
	binary.GrantRead(role)

	stack := awscdk.Stack_Of(scope)
	resources := []*string{stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ec2"), Resource: jsii.String("instance"), ResourceName: jsii.String("*"),
	})}
	for _, e := range f.addresses {
		resources = append(resources, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ec2"), Resource: jsii.String("elastic-ip"), ResourceName: e.AttrAllocationId(),
		}))
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:AssociateAddress"),
		Resources: &resources,
	}))
	// Describe calls have no resource-level permissions.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:DescribeAddresses"),
		Resources: jsii.Strings("*"),
	}))
	return role
}
