package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// testNetwork checks the VPC: two zones of public subnets for the fleet
// and isolated ones for streamsync, no NAT gateway, and DynamoDB's gateway
// endpoint.
func (s synthesized) testNetwork(t *testing.T) {
	check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1)) })
	check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0)) })
	check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(4)) })
	for _, tc := range []struct {
		group, kind string
		public      bool
	}{
		{subnetFleet, "Public", true},
		{subnetSync, "Isolated", false},
	} {
		t.Run(tc.group+" subnets", func(t *testing.T) {
			check(t, func() {
				s.template.ResourcePropertiesCountIs(jsii.String("AWS::EC2::Subnet"), props{
					"MapPublicIpOnLaunch": tc.public,
					"Tags": assertions.Match_ArrayWith(&[]any{
						props{"Key": "aws-cdk:subnet-name", "Value": tc.group},
						props{"Key": "aws-cdk:subnet-type", "Value": tc.kind},
					}),
				}, jsii.Number(vpcMaxAZs))
			})
			zones := map[float64]bool{}
			for _, r := range s.resources {
				if r.Type == "AWS::EC2::Subnet" && hasTag(r, "aws-cdk:subnet-name", tc.group) {
					sel, _ := r.Properties["AvailabilityZone"].(map[string]any)["Fn::Select"].([]any)
					if len(sel) > 0 {
						zones[sel[0].(float64)] = true
					}
				}
			}
			if len(zones) != vpcMaxAZs {
				t.Errorf("%s subnets span zones %v, want %d zones", tc.group, zones, vpcMaxAZs)
			}
		})
	}
	t.Run("isolated subnets have no default route", func(t *testing.T) {
		for id, r := range s.resources {
			if r.Type == "AWS::EC2::Route" && strings.HasPrefix(id, "Vpc"+subnetSync) {
				t.Errorf("route %s in an isolated subnet: %v", id, r.Properties)
			}
		}
	})
	t.Run("dynamodb endpoint", func(t *testing.T) {
		check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(1)) })
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), props{
				"VpcEndpointType": "Gateway",
				"ServiceName":     props{"Fn::Join": []any{"", []any{"com.amazonaws.", props{"Ref": "AWS::Region"}, ".dynamodb"}}},
			})
		})
		ep := s.resources[s.logicalID(t, "AWS::EC2::VPCEndpoint", nil)]
		for id, r := range s.resources {
			if r.Type == "AWS::EC2::RouteTable" && strings.HasPrefix(id, "Vpc"+subnetSync) && !refersTo(ep.Properties["RouteTableIds"], id) {
				t.Errorf("isolated route table %s has no route to the endpoint", id)
			}
		}
	})
	t.Run("prefix list lookup", func(t *testing.T) {
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("Custom::AWS"), props{
				"Create": props{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
					assertions.Match_StringLikeRegexp(jsii.String(`"action":"DescribePrefixLists".*"prefix-list-name"`)),
				})}},
			})
		})
	})
}

// rule is one security group rule as the tests compare them.
type rule struct {
	Protocol string
	From, To float64
	Peer     string // a CIDR, "sg:<logical id>" or "prefix-list"
}

func (s synthesized) testFleetSecurityGroup(t *testing.T) {
	fleetSG := s.logicalID(t, "AWS::EC2::SecurityGroup", isFleetSG)
	syncSG := s.logicalID(t, "AWS::EC2::SecurityGroup", isSyncSG)
	want := []rule{
		{"udp", portSIP, portSIP, "0.0.0.0/0"},
		{"tcp", portSIP, portSIP, "0.0.0.0/0"},
		{"udp", portSTUN, portSTUN, "0.0.0.0/0"},
		{"udp", portRTPFirst, portRTPLast, "0.0.0.0/0"},
		{"tcp", portSync, portSync, "sg:" + syncSG},
	}
	got := s.ingress(fleetSG)
	if !sameRules(got, want) {
		t.Errorf("fleet ingress = %v, want exactly %v", got, want)
	}
	// The sync port is open to streamsync's group alone.
	for _, r := range got {
		if r.From <= portSync && portSync <= r.To && r.Protocol != "udp" && r.Peer != "sg:"+syncSG {
			t.Errorf("sync port open to %s", r.Peer)
		}
	}
}

func (s synthesized) testSyncSecurityGroup(t *testing.T) {
	fleetSG := s.logicalID(t, "AWS::EC2::SecurityGroup", isFleetSG)
	syncSG := s.logicalID(t, "AWS::EC2::SecurityGroup", isSyncSG)
	if got := s.ingress(syncSG); len(got) != 0 {
		t.Errorf("streamsync ingress = %v, want none", got)
	}
	want := []rule{
		{"tcp", portSync, portSync, "sg:" + fleetSG},
		{"tcp", 443, 443, "prefix-list"},
	}
	if got := s.egress(syncSG); !sameRules(got, want) {
		t.Errorf("streamsync egress = %v, want exactly %v", got, want)
	}
	// The prefix list is DynamoDB's, looked up at deploy time.
	lookup := s.logicalID(t, "Custom::AWS", nil)
	for _, r := range s.resources {
		if r.Type == "AWS::EC2::SecurityGroupEgress" && r.Properties["DestinationPrefixListId"] != nil &&
			!refersTo(r.Properties["DestinationPrefixListId"], lookup) {
			t.Errorf("egress to prefix list %v, want the DynamoDB lookup", r.Properties["DestinationPrefixListId"])
		}
	}
}

// ingress returns the ingress rules of the security group: inline ones and
// separate SecurityGroupIngress resources.
func (s synthesized) ingress(sg string) []rule {
	var out []rule
	inline, _ := s.resources[sg].Properties["SecurityGroupIngress"].([]any)
	for _, r := range inline {
		out = append(out, toRule(r.(map[string]any), "CidrIp", "SourceSecurityGroupId", "SourcePrefixListId"))
	}
	for _, r := range s.resources {
		if r.Type == "AWS::EC2::SecurityGroupIngress" && refersTo(r.Properties["GroupId"], sg) {
			out = append(out, toRule(r.Properties, "CidrIp", "SourceSecurityGroupId", "SourcePrefixListId"))
		}
	}
	return out
}

// egress returns the egress rules of the security group. CloudFormation
// allows all egress of a group that has no egress rule at all, so a group
// without rules reports that.
func (s synthesized) egress(sg string) []rule {
	var out []rule
	inline, _ := s.resources[sg].Properties["SecurityGroupEgress"].([]any)
	for _, r := range inline {
		out = append(out, toRule(r.(map[string]any), "CidrIp", "DestinationSecurityGroupId", "DestinationPrefixListId"))
	}
	for _, r := range s.resources {
		if r.Type == "AWS::EC2::SecurityGroupEgress" && refersTo(r.Properties["GroupId"], sg) {
			out = append(out, toRule(r.Properties, "CidrIp", "DestinationSecurityGroupId", "DestinationPrefixListId"))
		}
	}
	if len(out) == 0 {
		out = append(out, rule{"-1", 0, 65535, "0.0.0.0/0"})
	}
	return out
}

func toRule(p map[string]any, cidr, group, prefixList string) rule {
	r := rule{Protocol: p["IpProtocol"].(string)}
	r.From, _ = p["FromPort"].(float64)
	r.To, _ = p["ToPort"].(float64)
	switch {
	case p[cidr] != nil:
		r.Peer, _ = p[cidr].(string)
	case p[group] != nil:
		att, _ := p[group].(map[string]any)["Fn::GetAtt"].([]any)
		if len(att) > 0 {
			r.Peer = "sg:" + att[0].(string)
		}
	case p[prefixList] != nil:
		r.Peer = "prefix-list"
	default:
		r.Peer = "other"
	}
	if v := p["CidrIpv6"]; v != nil {
		r.Peer, _ = v.(string)
	}
	return r
}

func sameRules(got, want []rule) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

func isFleetSG(id string, _ resource) bool { return strings.HasPrefix(id, "FleetSecurityGroup") }
func isSyncSG(id string, _ resource) bool  { return strings.HasPrefix(id, "SyncSecurityGroup") }

func hasTag(r resource, key, value string) bool {
	tags, _ := r.Properties["Tags"].([]any)
	for _, tag := range tags {
		if m, ok := tag.(map[string]any); ok && m["Key"] == key && m["Value"] == value {
			return true
		}
	}
	return false
}
