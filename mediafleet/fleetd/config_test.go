package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func baseEnv() map[string]string {
	return map[string]string{
		"SWITCHBOARD_TABLE": "switchboard", "SWITCHBOARD_SIP_DOMAIN": "sip.example.com", "SWITCHBOARD_NODE_ID": "i-0abc",
		"SWITCHBOARD_PUBLIC_IP": "203.0.113.7", "SWITCHBOARD_PRIVATE_IP": "10.0.1.5",
		"SWITCHBOARD_FLEET_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:fleet-AbCdEf",
	}
}

func TestLoad(t *testing.T) {
	c, err := Load(func(k string) string { return baseEnv()[k] })
	if err != nil {
		t.Fatal(err)
	}
	// Defaults: listeners without a host go on the private IP.
	if c.SyncAddr != "10.0.1.5:7070" || c.SIPUDP != "10.0.1.5:5060" || c.SIPTCP != "10.0.1.5:5060" || c.STUN != "10.0.1.5:10000" {
		t.Errorf("addresses %s %s %s %s", c.SyncAddr, c.SIPUDP, c.SIPTCP, c.STUN)
	}
	if c.RTPPortMin != 20000 || c.RTPPortMax != 39999 || c.Heartbeat != 30*time.Second || c.PublicIP.String() != "203.0.113.7" || c.KMSKeyID != "" {
		t.Errorf("config %+v", c)
	}
	if !slices.Equal(c.SIPDigest, []string{"MD5", "SHA-256"}) {
		t.Errorf("digest %v, want MD5 then SHA-256", c.SIPDigest)
	}
	withKey := baseEnv()
	withKey["SWITCHBOARD_KMS_KEY_ID"] = "arn:aws:kms:eu-central-1:123456789012:key/1234"
	if c, err := Load(func(k string) string { return withKey[k] }); err != nil || c.KMSKeyID != withKey["SWITCHBOARD_KMS_KEY_ID"] {
		t.Errorf("KMS key %q, %v", c.KMSKeyID, err)
	}

	tests := []struct {
		name, key, value, wantErr string
	}{
		{"no table", "SWITCHBOARD_TABLE", "", "SWITCHBOARD_TABLE"},
		{"unknown digest", "SWITCHBOARD_SIP_DIGEST", "md5,sha1", "SWITCHBOARD_SIP_DIGEST"},
		{"no domain", "SWITCHBOARD_SIP_DOMAIN", "", "SWITCHBOARD_SIP_DOMAIN"},
		{"no node", "SWITCHBOARD_NODE_ID", "", "SWITCHBOARD_NODE_ID"},
		{"bad public ip", "SWITCHBOARD_PUBLIC_IP", "eip", "SWITCHBOARD_PUBLIC_IP"},
		{"unspecified private ip", "SWITCHBOARD_PRIVATE_IP", "0.0.0.0", "SWITCHBOARD_PRIVATE_IP"},
		{"no secret", "SWITCHBOARD_FLEET_SECRET_ARN", "", "SWITCHBOARD_FLEET_SECRET_ARN"},
		{"bad sip address", "SWITCHBOARD_SIP_UDP", "5060", "SWITCHBOARD_SIP_UDP"},
		{"bad ports", "SWITCHBOARD_RTP_PORTS", "20000", "SWITCHBOARD_RTP_PORTS"},
		{"tiny port range", "SWITCHBOARD_RTP_PORTS", "20000-20001", "SWITCHBOARD_RTP_PORTS"},
		{"bad trunk", "SWITCHBOARD_TRUNK", "trunk.example.com", "SWITCHBOARD_TRUNK"},
		{"bad heartbeat", "SWITCHBOARD_HEARTBEAT", "often", "SWITCHBOARD_HEARTBEAT"},
		{"stun off", "SWITCHBOARD_STUN", "off", ""},
		{"explicit host", "SWITCHBOARD_SIP_TCP", "10.0.1.6:5080", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv()
			env[tt.key] = tt.value
			c, err := Load(func(k string) string { return env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one naming %s (config %+v)", err, tt.wantErr, c)
			}
		})
	}
	env := baseEnv()
	env["SWITCHBOARD_STUN"], env["SWITCHBOARD_SIP_TCP"] = "off", "10.0.1.6:5080"
	c, _ = Load(func(k string) string { return env[k] })
	if c.STUN != "" || c.SIPTCP != "10.0.1.6:5080" {
		t.Errorf("stun %q, sip tcp %q", c.STUN, c.SIPTCP)
	}
	env["SWITCHBOARD_SIP_UDP"], env["SWITCHBOARD_SIP_TCP"] = "off", "off"
	if _, err := Load(func(k string) string { return env[k] }); err == nil {
		t.Error("both SIP transports off: no error")
	}
}

func TestSecretsNotLogged(t *testing.T) {
	env := baseEnv()
	env["SWITCHBOARD_FLEET_SECRET_ARN"] = ""
	env["SWITCHBOARD_FLEET_SECRET"] = strings.Repeat("k", 40)
	env["SWITCHBOARD_TRUNK_PASSWORD"] = "trunk-password-value"
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var line bytes.Buffer
	for _, a := range c.LogAttrs() {
		line.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ToLower(toString(a)), "\n", " ")) + " ")
	}
	for _, secret := range []string{env["SWITCHBOARD_FLEET_SECRET"], env["SWITCHBOARD_TRUNK_PASSWORD"]} {
		if strings.Contains(line.String(), secret) {
			t.Errorf("log attributes carry a secret: %s", line.String())
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case interface{ String() string }:
		return x.String()
	}
	return ""
}

// TestNonceKey: every node derives the same key from the same secret,
// another secret gives another key, and the key is not the secret.
func TestNonceKey(t *testing.T) {
	a := strings.Repeat("a", 32)
	k1, err := nonceKey(a)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := nonceKey(a)
	k3, _ := nonceKey(strings.Repeat("b", 32))
	if !bytes.Equal(k1, k2) || bytes.Equal(k1, k3) || len(k1) != 32 || bytes.Contains(k1, []byte("aaaa")) {
		t.Errorf("keys %x %x %x", k1, k2, k3)
	}
	if _, err := nonceKey(strings.Repeat("a", 31)); err == nil {
		t.Error("31-character secret accepted")
	}
}

// secrets stands in for Secrets Manager, which has no local server.
type secrets struct {
	value *string
	err   error
	asked string
}

func (s *secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.asked = aws.ToString(in.SecretId)
	return &secretsmanager.GetSecretValueOutput{SecretString: s.value}, s.err
}

func TestFetchSecret(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:fleet-AbCdEf"
	value := strings.Repeat("v", 48)
	sm := &secrets{value: &value}
	got, err := fetchSecret(context.Background(), sm, arn)
	if err != nil || got != value || sm.asked != arn {
		t.Fatalf("fetch: %q %v, asked for %q", got, err, sm.asked)
	}
	empty := ""
	for name, sm := range map[string]*secrets{
		"no string":    {},
		"empty string": {value: &empty},
		"denied":       {err: errors.New("AccessDeniedException")},
	} {
		if _, err := fetchSecret(context.Background(), sm, arn); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
