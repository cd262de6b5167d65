// Package awsenv sets up what a function needs when it runs on AWS Lambda:
// its configuration from the environment, a JSON logger, the AWS SDK
// configuration and the table behind the store port. The local stack does
// not use it; it wires the same handlers to the embedded store instead.
package awsenv

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"log/slog"

	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/config"
	"github.com/switchboard/switchboard/shared/mail"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store/dynamo"
)

// Env is a function's runtime environment on AWS.
type Env struct {
	Config config.Lambda
	Logger *slog.Logger
	AWS    aws.Config
	Store  *dynamo.DB
	// Accounts is the account domain on the table, with KMS for sealed
	// secrets and SES for e-mail; nil when SIP_DOMAIN or KMS_KEY_ID is not
	// set (event functions need neither).
	Accounts *account.Service
}

// Load reads the environment and builds the clients. It is called once per
// cold start, outside the handler.
func Load(ctx context.Context) (*Env, error) {
	cfg, err := config.LoadLambda(os.Getenv)
	if err != nil {
		return nil, err
	}
	logger, err := config.Logger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	slog.SetDefault(logger)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	db, err := dynamo.New(dynamodb.NewFromConfig(awsCfg), dynamo.Config{TableName: cfg.TableName})
	if err != nil {
		return nil, err
	}
	env := &Env{Config: cfg, Logger: logger, AWS: awsCfg, Store: db}
	if cfg.SIPDomain != "" && cfg.KMSKeyID != "" {
		env.Accounts, err = account.New(account.Config{
			Realm: cfg.SIPDomain, Proxy: cfg.SIPProxy, STUN: cfg.STUNServer, ConsoleURL: cfg.ConsoleURL, MailFrom: cfg.MailFrom,
		}, db, secret.Envelope{KEK: secret.KMS{Client: kms.NewFromConfig(awsCfg), KeyID: cfg.KMSKeyID}},
			mail.SES{Client: sesv2.NewFromConfig(awsCfg)}, logger)
		if err != nil {
			return nil, err
		}
	}
	logger.Info("function starting", cfg.LogAttrs()...)
	return env, nil
}

// Must is Load for a main: it exits with the error when the environment is
// unusable, which Lambda reports as an init failure.
func Must(ctx context.Context) *Env {
	env, err := Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return env
}
