package config

import (
	"bytes"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestLoadLambda(t *testing.T) {
	c, err := LoadLambda(env(map[string]string{"TABLE_NAME": "t", "EXPORTS_BUCKET": "b"}))
	if err != nil || c.TableName != "t" || c.ExportsBucket != "b" || c.LogFormat != "json" || c.LogLevel != "info" {
		t.Fatalf("got %+v, %v", c, err)
	}
	if _, err := LoadLambda(env(nil)); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("missing table: %v", err)
	}
}

func TestLogger(t *testing.T) {
	tests := []struct {
		format, level string
		ok            bool
		want          string
	}{
		{"text", "info", true, "msg=hello"},
		{"json", "debug", true, `"msg":"hello"`},
		{"", "", true, "msg=hello"},
		{"xml", "info", false, ""},
		{"text", "loud", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.level, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := Logger(&buf, tc.format, tc.level)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			l.Info("hello")
			if !strings.Contains(buf.String(), tc.want) {
				t.Fatalf("logged %q, want %q", buf.String(), tc.want)
			}
		})
	}
}
