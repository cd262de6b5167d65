package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/mediafleet/fleet"
)

func TestLoad(t *testing.T) {
	env := map[string]string{"SWITCHBOARD_HTTP": "127.0.0.1:9000", "SWITCHBOARD_TRUNK": "192.0.2.1:5060"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		args    []string
		check   func(Config) bool
		wantErr string
	}{
		{"defaults and environment", nil, func(c Config) bool {
			return c.HTTP == "127.0.0.1:9000" && c.SIPUDP == "127.0.0.1:5060" && c.STUN == "127.0.0.1:10000" && c.Data == "./data" && c.Trunk == "192.0.2.1:5060"
		}, ""},
		{"flags win over the environment", []string{"-http", "127.0.0.1:0", "-stun", "off"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:0" && c.STUN == "off"
		}, ""},
		{"bad address", []string{"-sip-udp", "nonsense"}, nil, "-sip-udp"},
		{"bad trunk", []string{"-trunk", "host-without-port"}, nil, "-trunk"},
		{"bad limit", []string{"-login-limit", "0"}, nil, "-login-limit"},
		{"bad domain", []string{"-sip-domain", "a b"}, nil, "-sip-domain"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"timings", []string{"-no-answer", "5s", "-webhook-timeout", "500ms", "-webhook-retry", "1s"}, func(c Config) bool {
			n, w, r := c.Durations()
			return n == 5*time.Second && w == 500*time.Millisecond && r == time.Second
		}, ""},
		{"default timings", nil, func(c Config) bool {
			n, w, r := c.Durations()
			return n == 30*time.Second && w == 3*time.Second && r == 30*time.Second
		}, ""},
		{"bad duration", []string{"-webhook-timeout", "3"}, nil, "-webhook-timeout"},
		{"digest md5 only", []string{"-sip-digest", "MD5"}, func(c Config) bool {
			d, err := fleet.ParseChallenges(c.SIPDigest)
			return err == nil && slices.Equal(d, []string{"MD5"})
		}, ""},
		{"default digest", nil, func(c Config) bool {
			d, err := fleet.ParseChallenges(c.SIPDigest)
			return err == nil && slices.Equal(d, []string{"MD5", "SHA-256"})
		}, ""},
		{"unknown digest", []string{"-sip-digest", "md5,sha1"}, nil, "-sip-digest"},
		{"digest twice", []string{"-sip-digest", "md5,MD5"}, nil, "-sip-digest"},
		{"negative duration", []string{"-no-answer", "-1s"}, nil, "-no-answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.args, getenv, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(c) {
				t.Fatalf("got %+v, %v", c, err)
			}
		})
	}
	// The password is never part of what is logged.
	c, _ := Load([]string{"-trunk-password", "s3cret"}, getenv, io.Discard)
	for _, a := range c.LogAttrs() {
		if s, ok := a.(string); ok && strings.Contains(s, "s3cret") {
			t.Fatal("trunk password in the start-up log attributes")
		}
	}
}
