package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testUserData checks the setup script the instances run: the node
// program from its asset, the address, the environment, the unit.
func (s synthesized) testUserData(t *testing.T) {
	ud, _ := s.launchTemplateData(t)["UserData"].(map[string]any)["Fn::Base64"]
	script := flatten(ud)
	if !strings.HasPrefix(script, "#!/bin/bash\n") {
		t.Fatalf("user data is not a bash script:\n%.200s", script)
	}
	table := s.logicalID(t, "AWS::DynamoDB::Table", nil)
	secret := s.logicalID(t, "AWS::SecretsManager::Secret", nil)
	queue := s.logicalID(t, "AWS::SQS::Queue", func(id string, _ resource) bool { return strings.HasPrefix(id, "WebhookQueue") })
	want := []string{
		// Settings filled in from the stack.
		"table='" + table + "'",
		"secret_arn='" + secret + "'",
		"queue_url='" + queue + "'",
		"region='AWS::Region'",
		"stack_name='AWS::StackName'",
		"sip_domain='" + DefaultSIPDomain + "'",
		"binary_url='s3://cdk-",
		// Metadata through IMDSv2.
		"X-aws-ec2-metadata-token",
		"latest/meta-data/$1",
		"instance_id=$(imds instance-id)",
		"private_ip=$(imds local-ipv4)",
		// The program and its user.
		"install -m 0755 -o root -g root /tmp/switchboard-fleet /usr/local/bin/switchboard-fleet",
		"useradd --system",
		" switchboard\n",
		// One of the fleet's addresses.
		"Name=tag:${tag_key},Values=${stack_name}",
		"tag_key='" + fleetTagKey + "'",
		"AssociationId==null",
		"aws ec2 associate-address",
		"--no-allow-reassociation",
		// Socket buffers.
		"net.core.rmem_max",
		"net.ipv4.ip_local_reserved_ports = ${rtp_ports}",
		"net.core.wmem_max",
		"sysctl --system",
		// The environment.
		"install -m 0640 -o root -g switchboard /dev/null /etc/switchboard/fleet.env",
		"SWITCHBOARD_TABLE=${table}\n",
		"AWS_REGION=${region}\n",
		"SWITCHBOARD_SIP_DOMAIN=${sip_domain}\n",
		"SWITCHBOARD_NODE_ID=${instance_id}\n",
		"SWITCHBOARD_PUBLIC_IP=${public_ip}\n",
		"SWITCHBOARD_PRIVATE_IP=${private_ip}\n",
		"SWITCHBOARD_FLEET_SECRET_ARN=${secret_arn}\n",
		"SWITCHBOARD_SYNC_ADDR=${private_ip}:${sync_port}\n",
		"sync_port='7070'",
		"SWITCHBOARD_EVENT_QUEUE_URL=${queue_url}\n",
		"SWITCHBOARD_KMS_KEY_ID=${kms_key}\n",
		"kms_key='" + s.logicalID(t, "AWS::KMS::Key", nil) + "'",
		"SWITCHBOARD_RTP_PORTS=${rtp_ports}\n",
		"rtp_ports='20000-39999'",
		// The unit.
		"/etc/systemd/system/switchboard-fleet.service",
		"Restart=always\n",
		"User=switchboard\n",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
		"LimitNOFILE=1048576\n",
		"EnvironmentFile=/etc/switchboard/fleet.env\n",
		"ExecStart=/usr/local/bin/switchboard-fleet\n",
		"systemctl enable --now switchboard-fleet\n",
	}
	for _, w := range want {
		if !strings.Contains(script, w) {
			t.Errorf("user data lacks %q", w)
		}
	}
	// The address is taken before the environment names it.
	if strings.Index(script, "associate-address") > strings.Index(script, "SWITCHBOARD_PUBLIC_IP=") {
		t.Error("user data writes the public address before it associates one")
	}
}

// TestFleetSetupScript checks that the rendered setup script is valid bash.
func TestFleetSetupScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := fleetUserData(fleetSetup{
		Region: "eu-central-1", StackName: "Switchboard", BinaryURL: "s3://bucket/key", Table: "table",
		SIPDomain: "sip.example.com", SecretARN: "arn:secret", QueueURL: "https://queue", RTPPorts: "20000-39999",
		SyncPort: portSync, TagKey: fleetTagKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "setup.sh")
	writeFile(t, path, script)
	if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v\n%s", err, out)
	}
	if strings.Contains(script, "{{") || strings.Contains(script, "<no value>") {
		t.Errorf("unfilled template field in the script")
	}
}
