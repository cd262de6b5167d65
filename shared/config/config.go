// Package config holds what every Switchboard binary needs to read its
// settings: the environment as a function (so tests pass their own), the
// Lambda functions' settings, and the one logger constructor (text locally,
// JSON on AWS).
//
// Each binary has one Config of its own (infra/local has the local
// stack's); this package is not a global settings registry.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Getenv reads one environment variable; os.Getenv in production.
type Getenv func(string) string

// Logger builds the process logger. format is "text" or "json"; level is
// debug, info, warn or error.
func Logger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(orDefault(level, "info"))); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(orDefault(format, "text")) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// Lambda is the configuration of a function on AWS, set by infra/aws as
// environment variables.
type Lambda struct {
	Function         string // AWS_LAMBDA_FUNCTION_NAME
	TableName        string // TABLE_NAME
	ExportsBucket    string // EXPORTS_BUCKET
	DocumentsBucket  string // DOCUMENTS_BUCKET
	RecordingsBucket string // RECORDINGS_BUCKET
	LogFormat        string // LOG_FORMAT, default json
	LogLevel         string // LOG_LEVEL, default info
	KMSKeyID         string // KMS_KEY_ID: wraps the data keys of sealed secrets
	SIPDomain        string // SIP_DOMAIN: SIP domain and digest realm
	SIPProxy         string // SIP_PROXY: registrar host[:port] phones use
	STUNServer       string // STUN_SERVER: host:port
	ConsoleURL       string // CONSOLE_URL: base of links in e-mails
	MailFrom         string // MAIL_FROM: sender of e-mails
}

// LoadLambda reads a function's configuration and checks it.
func LoadLambda(getenv Getenv) (Lambda, error) {
	c := Lambda{
		Function:         getenv("AWS_LAMBDA_FUNCTION_NAME"),
		TableName:        getenv("TABLE_NAME"),
		ExportsBucket:    getenv("EXPORTS_BUCKET"),
		DocumentsBucket:  getenv("DOCUMENTS_BUCKET"),
		RecordingsBucket: getenv("RECORDINGS_BUCKET"),
		LogFormat:        orDefault(getenv("LOG_FORMAT"), "json"),
		LogLevel:         orDefault(getenv("LOG_LEVEL"), "info"),
		KMSKeyID:         getenv("KMS_KEY_ID"),
		SIPDomain:        getenv("SIP_DOMAIN"),
		SIPProxy:         getenv("SIP_PROXY"),
		STUNServer:       getenv("STUN_SERVER"),
		ConsoleURL:       getenv("CONSOLE_URL"),
		MailFrom:         getenv("MAIL_FROM"),
	}
	if c.TableName == "" {
		return c, fmt.Errorf("config: TABLE_NAME is not set")
	}
	return c, nil
}

// LogAttrs lists the configuration for the start-up log line. None of it
// is secret.
func (c Lambda) LogAttrs() []any {
	return []any{"function", c.Function, "table", c.TableName, "exports_bucket", c.ExportsBucket,
		"documents_bucket", c.DocumentsBucket, "recordings_bucket", c.RecordingsBucket, "log_level", c.LogLevel,
		"kms_key", c.KMSKeyID, "sip_domain", c.SIPDomain, "sip_proxy", c.SIPProxy, "stun", c.STUNServer, "console_url", c.ConsoleURL}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
