package main

import (
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
)

// testFleet checks the fleet with the default context: Graviton instances
// with IMDSv2 and no key, an address per node, the security groups' exact
// rules, the role's grants, the user data and streamsync's place in the VPC.
func (s synthesized) testFleet(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		s.checkFleetSize(t, DefaultFleetSize)
		check(t, func() {
			s.template.HasResource(jsii.String("AWS::AutoScaling::AutoScalingGroup"), props{
				"UpdatePolicy": props{"AutoScalingRollingUpdate": props{
					"MaxBatchSize": 1, "MinInstancesInService": DefaultFleetSize - 1,
				}},
			})
		})
		group := s.resources[s.logicalID(t, "AWS::AutoScaling::AutoScalingGroup", nil)]
		subnets, _ := group.Properties["VPCZoneIdentifier"].([]any)
		if len(subnets) != vpcMaxAZs {
			t.Fatalf("group subnets = %v, want the %d fleet subnets", subnets, vpcMaxAZs)
		}
		for _, sn := range subnets {
			id, _ := sn.(map[string]any)["Ref"].(string)
			if !hasTag(s.resources[id], "aws-cdk:subnet-type", "Public") {
				t.Errorf("group subnet %s is not public", id)
			}
		}
	})
	t.Run("launch template", s.testLaunchTemplate)
	t.Run("addresses", func(t *testing.T) {
		s.checkAddresses(t, DefaultFleetSize)
	})
	t.Run("fleet security group", s.testFleetSecurityGroup)
	t.Run("sync security group", s.testSyncSecurityGroup)
	t.Run("role", s.testFleetRole)
	t.Run("secret", func(t *testing.T) {
		check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(1)) })
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), props{
				"GenerateSecretString": props{
					"PasswordLength":     assertions.Match_AnyValue(),
					"ExcludePunctuation": true,
				},
			})
		})
		id := s.logicalID(t, "AWS::SecretsManager::Secret", nil)
		gen := s.resources[id].Properties["GenerateSecretString"].(map[string]any)
		if n, _ := gen["PasswordLength"].(float64); n < 32 {
			t.Errorf("fleet secret length %v, want at least 32", gen["PasswordLength"])
		}
		check(t, func() { s.template.HasOutput(jsii.String("FleetSecretArn"), props{"Value": props{"Ref": id}}) })
	})
	t.Run("user data", s.testUserData)
	t.Run("streamsync in the vpc", func(t *testing.T) {
		sg := s.logicalID(t, "AWS::EC2::SecurityGroup", isSyncSG)
		fn := s.resources[s.functionID(t, streamFunction)]
		vpc, _ := fn.Properties["VpcConfig"].(map[string]any)
		if !reflect.DeepEqual(vpc["SecurityGroupIds"], []any{props{"Fn::GetAtt": []any{sg, "GroupId"}}}) {
			t.Errorf("streamsync security groups = %v, want only %s", vpc["SecurityGroupIds"], sg)
		}
		subnets, _ := vpc["SubnetIds"].([]any)
		if len(subnets) != vpcMaxAZs {
			t.Fatalf("streamsync subnets = %v, want the %d isolated subnets", subnets, vpcMaxAZs)
		}
		for _, sn := range subnets {
			id, _ := sn.(map[string]any)["Ref"].(string)
			if !hasTag(s.resources[id], "aws-cdk:subnet-type", "Isolated") {
				t.Errorf("streamsync subnet %s is not isolated", id)
			}
		}
		env, _ := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		table := s.logicalID(t, "AWS::DynamoDB::Table", nil)
		if !reflect.DeepEqual(env[envSyncTable], props{"Ref": table}) {
			t.Errorf("streamsync %s = %v, want the table", envSyncTable, env[envSyncTable])
		}
		stmts := s.policyStatements(t, streamFunction)
		for _, action := range []string{"dynamodb:Query", "dynamodb:UpdateItem"} {
			if !allows(stmts, action, table) {
				t.Errorf("streamsync may not %s on the table", action)
			}
		}
		// Only streamsync joins the VPC.
		for _, name := range gateway.Names() {
			if name == streamFunction {
				continue
			}
			if v := s.resources[s.functionID(t, name)].Properties["VpcConfig"]; v != nil {
				t.Errorf("function %s is in the VPC: %v", name, v)
			}
		}
	})
}

// checkFleetSize checks the group's size.
func (s synthesized) checkFleetSize(t *testing.T, n int) {
	t.Helper()
	check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::AutoScaling::AutoScalingGroup"), jsii.Number(1)) })
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::AutoScaling::AutoScalingGroup"), props{
			"MinSize":        strconv.Itoa(n),
			"MaxSize":        strconv.Itoa(n),
			"LaunchTemplate": props{"LaunchTemplateId": props{"Ref": assertions.Match_AnyValue()}},
		})
	})
}

// checkAddresses checks that there are n tagged Elastic IPs, all in the
// FleetAddresses output.
func (s synthesized) checkAddresses(t *testing.T, n int) {
	t.Helper()
	const typ = "AWS::EC2::EIP"
	check(t, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	check(t, func() {
		s.template.AllResourcesProperties(jsii.String(typ), props{
			"Domain": "vpc",
			"Tags":   assertions.Match_ArrayWith(&[]any{props{"Key": fleetTagKey, "Value": props{"Ref": "AWS::StackName"}}}),
		})
	})
	outputs := s.template.FindOutputs(jsii.String("FleetAddresses"), nil)
	out := (*outputs)["FleetAddresses"]
	if out == nil {
		t.Fatal("no FleetAddresses output")
	}
	for id, r := range s.resources {
		if r.Type == typ && !refersTo((*out)["Value"], id) {
			t.Errorf("address %s is not in the FleetAddresses output", id)
		}
	}
}

func (s synthesized) testLaunchTemplate(t *testing.T) {
	const typ = "AWS::EC2::LaunchTemplate"
	check(t, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(1)) })
	check(t, func() {
		s.template.HasResourceProperties(jsii.String(typ), props{"LaunchTemplateData": props{
			"InstanceType":    DefaultFleetInstanceType,
			"MetadataOptions": props{"HttpTokens": "required"},
			"ImageId":         props{"Ref": assertions.Match_AnyValue()},
			"SecurityGroupIds": []any{props{"Fn::GetAtt": []any{
				s.logicalID(t, "AWS::EC2::SecurityGroup", isFleetSG), "GroupId",
			}}},
			"IamInstanceProfile": props{"Arn": assertions.Match_AnyValue()},
		}})
	})
	data := s.launchTemplateData(t)
	if _, ok := data["KeyName"]; ok {
		t.Errorf("launch template has a key pair %v; shells go through Session Manager", data["KeyName"])
	}
	// The image is the latest Amazon Linux 2023 for arm64, resolved from
	// its public SSM parameter at deploy time.
	param, _ := data["ImageId"].(map[string]any)["Ref"].(string)
	def, _ := s.parameters[param].(map[string]any)["Default"].(string)
	if !strings.Contains(def, "al2023") || !strings.HasSuffix(def, "arm64") {
		t.Errorf("image parameter %s = %q, want Amazon Linux 2023 for arm64", param, def)
	}
	// The profile's role is the fleet role.
	profile := s.logicalID(t, "AWS::IAM::InstanceProfile", nil)
	if !refersTo(data["IamInstanceProfile"], profile) || !refersTo(s.resources[profile].Properties["Roles"], s.fleetRoleID(t)) {
		t.Error("the instances do not run with the fleet role")
	}
}

func (s synthesized) launchTemplateData(t *testing.T) map[string]any {
	t.Helper()
	lt := s.resources[s.logicalID(t, "AWS::EC2::LaunchTemplate", nil)]
	data, _ := lt.Properties["LaunchTemplateData"].(map[string]any)
	return data
}

func (s synthesized) fleetRoleID(t *testing.T) string {
	t.Helper()
	return s.logicalID(t, "AWS::IAM::Role", func(id string, _ resource) bool { return strings.HasPrefix(id, "FleetRole") })
}

// roleStatements returns the statements of the policies attached to role.
func (s synthesized) roleStatements(t *testing.T, role string) []statement {
	t.Helper()
	var out []statement
	for _, r := range s.resources {
		if r.Type == "AWS::IAM::Policy" && refersTo(r.Properties["Roles"], role) {
			out = append(out, decodeStatements(t, r.Properties["PolicyDocument"])...)
		}
	}
	return out
}

func (s synthesized) testFleetRole(t *testing.T) {
	role := s.fleetRoleID(t)
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::IAM::Role"), props{
			"AssumeRolePolicyDocument": props{"Statement": []any{props{
				"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": props{"Service": "ec2.amazonaws.com"},
			}}},
			"ManagedPolicyArns": []any{props{"Fn::Join": []any{"", []any{
				"arn:", props{"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore",
			}}}},
		})
	})
	stmts := s.roleStatements(t, role)
	table := s.logicalID(t, "AWS::DynamoDB::Table", nil)
	secret := s.logicalID(t, "AWS::SecretsManager::Secret", nil)
	queue := s.logicalID(t, "AWS::SQS::Queue", func(id string, _ resource) bool { return strings.HasPrefix(id, "WebhookQueue") })
	dead := s.logicalID(t, "AWS::SQS::Queue", func(id string, _ resource) bool { return strings.HasPrefix(id, "WebhookDeadLetters") })
	cases := []struct {
		action, resource string
		want             bool
	}{
		{"dynamodb:GetItem", table, true},
		{"dynamodb:Query", table, true},
		{"dynamodb:PutItem", table, true},
		{"dynamodb:UpdateItem", table, true},
		{"dynamodb:DeleteItem", table, true},
		{"dynamodb:ConditionCheckItem", table, true},
		{"secretsmanager:GetSecretValue", secret, true},
		{"sqs:SendMessage", queue, true},
		{"sqs:ReceiveMessage", queue, false},
		{"sqs:SendMessage", dead, false},
		{"kms:Decrypt", s.logicalID(t, "AWS::KMS::Key", nil), true},
		{"kms:Encrypt", s.logicalID(t, "AWS::KMS::Key", nil), false},
	}
	for id, r := range s.resources {
		if r.Type == "AWS::EC2::EIP" {
			cases = append(cases, struct {
				action, resource string
				want             bool
			}{"ec2:AssociateAddress", id, true})
		}
	}
	for _, tc := range cases {
		if got := allows(stmts, tc.action, tc.resource); got != tc.want {
			t.Errorf("fleet role %s on %s: allowed = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
	// The table's indexes: the grant covers TABLE_ARN/index/*.
	if !allowsOn(stmts, "dynamodb:Query", func(r any) bool { return refersTo(r, table) && strings.Contains(flatten(r), "/index/*") }) {
		t.Error("fleet role may not query the table's indexes")
	}
	// Describe calls have no resource-level permissions.
	if !allowsOn(stmts, "ec2:DescribeAddresses", func(r any) bool { return r == "*" }) {
		t.Error("fleet role may not describe addresses")
	}
	// The node program's asset.
	if !allowsOn(stmts, "s3:GetObject", func(r any) bool { return strings.Contains(flatten(r), "cdk-") }) {
		t.Error("fleet role may not read the node program's asset")
	}
	// Associating is limited to the stack's addresses (and instances).
	for _, st := range stmts {
		if slices.Contains(actions(st.Action), "ec2:AssociateAddress") {
			for _, r := range asList(st.Resource) {
				if f := flatten(r); strings.Contains(f, ":elastic-ip/") && !strings.Contains(f, "FleetAddress") {
					t.Errorf("fleet role may associate address %s", f)
				}
			}
		}
	}
	for _, st := range stmts {
		for _, a := range actions(st.Action) {
			if a == "*" || a == "ec2:*" || a == "ec2:DisassociateAddress" || a == "ec2:ReleaseAddress" {
				t.Errorf("fleet role allows %s", a)
			}
		}
	}
}

// allowsOn reports whether an Allow statement grants action on a resource
// that match accepts.
func allowsOn(stmts []statement, action string, match func(any) bool) bool {
	for _, st := range stmts {
		if st.Effect != "Allow" || !slices.ContainsFunc(actions(st.Action), func(a string) bool {
			return a == action || (strings.HasSuffix(a, "*") && strings.HasPrefix(action, strings.TrimSuffix(a, "*")))
		}) {
			continue
		}
		if slices.ContainsFunc(asList(st.Resource), match) {
			return true
		}
	}
	return false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// flatten renders a template value with its references as text, for
// substring checks: {"Ref": "X"} becomes "X", joins are concatenated.
func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, e := range v {
			b.WriteString(flatten(e))
		}
		return b.String()
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return ref
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) > 0 {
			return att[0].(string)
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			return flatten(j[1])
		}
		if sub, ok := v["Fn::Sub"].(string); ok {
			return sub
		}
		var b strings.Builder
		for _, e := range v {
			b.WriteString(flatten(e))
		}
		return b.String()
	}
	return ""
}

// TestFleetContext synthesizes with the fleet's context values set, as
// `cdk synth -c fleetSize=3 -c fleetInstanceType=m7g.xlarge` would, and
// checks the group's size, the addresses and the instance type follow.
func TestFleetContext(t *testing.T) {
	silenceNodeWarnings(t)
	cdkContext, err := fileContext(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	cdkContext[ctxFleetSize] = "3"
	cdkContext[ctxFleetInstanceType] = "m7g.xlarge"
	app := awscdk.NewApp(&awscdk.AppProps{Context: &cdkContext, Outdir: jsii.String(t.TempDir())})
	cfg, err := readConfig(app)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FleetSize != 3 || cfg.FleetInstanceType != "m7g.xlarge" {
		t.Fatalf("config = %d × %s, want 3 × m7g.xlarge", cfg.FleetSize, cfg.FleetInstanceType)
	}
	stack, err := NewStack(app, "Test", StackProps{
		CodeDir:           placeholderCode(t, gateway.Names()),
		FleetInstanceType: cfg.FleetInstanceType,
		FleetSize:         cfg.FleetSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := fromStack(t, stack)
	s.checkFleetSize(t, 3)
	s.checkAddresses(t, 3)
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::EC2::LaunchTemplate"), props{
			"LaunchTemplateData": props{"InstanceType": "m7g.xlarge"},
		})
	})
	check(t, func() {
		s.template.HasResource(jsii.String("AWS::AutoScaling::AutoScalingGroup"), props{
			"UpdatePolicy": props{"AutoScalingRollingUpdate": props{"MinInstancesInService": 2}},
		})
	})
}

func TestReadConfigRejectsFleetSize(t *testing.T) {
	silenceNodeWarnings(t)
	for _, v := range []string{"0", "-1", "two"} {
		app := awscdk.NewApp(&awscdk.AppProps{
			Context: &map[string]any{ctxFleetSize: v},
			Outdir:  jsii.String(t.TempDir()),
		})
		if _, err := readConfig(app); err == nil || !strings.Contains(err.Error(), ctxFleetSize) {
			t.Errorf("fleetSize %q: error = %v, want one naming %s", v, err, ctxFleetSize)
		}
	}
}
