#!/bin/bash
# Switchboard fleet node setup: runs once, as the instance's user data, on
# Amazon Linux 2023 (arm64). It installs the node program, takes one of the
# fleet's Elastic IPs, writes the node's environment and starts the node as
# the switchboard-fleet systemd unit. infra/aws fills in the settings below
# when it synthesizes the stack.
set -euo pipefail
exec > >(tee -a /var/log/switchboard-fleet-setup.log | logger -t switchboard-fleet-setup) 2>&1

region='{{.Region}}'
stack_name='{{.StackName}}'
binary_url='{{.BinaryURL}}'
table='{{.Table}}'
sip_domain='{{.SIPDomain}}'
secret_arn='{{.SecretARN}}'
queue_url='{{.QueueURL}}'
kms_key='{{.KMSKey}}'
rtp_ports='{{.RTPPorts}}'
sync_port='{{.SyncPort}}'
tag_key='{{.TagKey}}'

# Instance metadata, through IMDSv2 (the launch template requires tokens).
imds_token=$(curl -sSf -X PUT http://169.254.169.254/latest/api/token \
	-H 'X-aws-ec2-metadata-token-ttl-seconds: 600')
imds() {
	curl -sSf -H "X-aws-ec2-metadata-token: ${imds_token}" "http://169.254.169.254/latest/meta-data/$1"
}
instance_id=$(imds instance-id)
private_ip=$(imds local-ipv4)

# The node program and the user it runs as.
aws s3 cp --region "${region}" --only-show-errors "${binary_url}" /tmp/switchboard-fleet
install -m 0755 -o root -g root /tmp/switchboard-fleet /usr/local/bin/switchboard-fleet
rm -f /tmp/switchboard-fleet
id -u switchboard >/dev/null 2>&1 ||
	useradd --system --no-create-home --home-dir /nonexistent --shell /sbin/nologin switchboard

# One of the fleet's Elastic IPs. Nodes booting together may pick the same
# free address; associate-address without reassociation lets only one of
# them have it, and the others pick again after a random pause.
fleet_filter="Name=tag:${tag_key},Values=${stack_name}"
public_ip=$(aws ec2 describe-addresses --region "${region}" \
	--filters "${fleet_filter}" "Name=instance-id,Values=${instance_id}" \
	--query 'Addresses[0].PublicIp' --output text)
attempt=0
while [ -z "${public_ip}" ] || [ "${public_ip}" = "None" ]; do
	attempt=$((attempt + 1))
	if [ "${attempt}" -gt 60 ]; then
		echo "no free fleet address after ${attempt} attempts" >&2
		exit 1
	fi
	free=$(aws ec2 describe-addresses --region "${region}" --filters "${fleet_filter}" \
		--query 'Addresses[?AssociationId==null].[AllocationId,PublicIp]' --output text | shuf -n 1) || free=""
	if [ -n "${free}" ]; then
		allocation_id=$(echo "${free}" | cut -f1)
		if aws ec2 associate-address --region "${region}" --instance-id "${instance_id}" \
			--allocation-id "${allocation_id}" --no-allow-reassociation >/dev/null; then
			public_ip=$(echo "${free}" | cut -f2)
			break
		fi
	fi
	sleep $((RANDOM % 5 + 1))
done
echo "fleet address ${public_ip} on ${instance_id}"

# Larger socket buffers for the relay's bursts of RTP; the relay's ports
# kept out of the kernel's ephemeral range, so no outgoing connection
# takes one the relay needs.
cat >/etc/sysctl.d/90-switchboard-fleet.conf <<SYSCTL
net.ipv4.ip_local_reserved_ports = ${rtp_ports}
net.core.rmem_max = 26214400
net.core.wmem_max = 26214400
net.core.rmem_default = 1048576
net.core.wmem_default = 1048576
net.core.netdev_max_backlog = 10000
SYSCTL
sysctl --system >/dev/null

# The node's environment: readable by root and the node, nobody else.
install -d -m 0750 -o root -g switchboard /etc/switchboard
install -m 0640 -o root -g switchboard /dev/null /etc/switchboard/fleet.env
cat >/etc/switchboard/fleet.env <<ENV
SWITCHBOARD_TABLE=${table}
AWS_REGION=${region}
SWITCHBOARD_SIP_DOMAIN=${sip_domain}
SWITCHBOARD_NODE_ID=${instance_id}
SWITCHBOARD_PUBLIC_IP=${public_ip}
SWITCHBOARD_PRIVATE_IP=${private_ip}
SWITCHBOARD_FLEET_SECRET_ARN=${secret_arn}
SWITCHBOARD_SYNC_ADDR=${private_ip}:${sync_port}
SWITCHBOARD_EVENT_QUEUE_URL=${queue_url}
SWITCHBOARD_KMS_KEY_ID=${kms_key}
SWITCHBOARD_RTP_PORTS=${rtp_ports}
ENV

cat >/etc/systemd/system/switchboard-fleet.service <<'UNIT'
[Unit]
Description=Switchboard media fleet node (SIP, STUN, RTP relay)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=switchboard
Group=switchboard
EnvironmentFile=/etc/switchboard/fleet.env
ExecStart=/usr/local/bin/switchboard-fleet
Restart=always
RestartSec=2
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
LimitNOFILE=1048576
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now switchboard-fleet
