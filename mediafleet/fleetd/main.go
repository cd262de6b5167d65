// Command fleetd is the media fleet as a service of its own: one fleet node
// (SIP over UDP and TCP, STUN, the RTP relay, the registrar and the B2BUA)
// on an EC2 instance, against the DynamoDB table, kept current by the
// streamsync function, which pushes the table's changes to the node's sync
// endpoint. It runs as the systemd unit switchboard-fleet, built with
// GOOS=linux GOARCH=arm64 CGO_ENABLED=0 from ./mediafleet/fleetd.
//
// It is configured from the environment (/etc/switchboard/fleet.env):
//
//	SWITCHBOARD_TABLE              DynamoDB table name (required)
//	AWS_REGION                     region; credentials and region follow the SDK's default chain
//	SWITCHBOARD_DYNAMODB_ENDPOINT  DynamoDB endpoint URL, for tests against DynamoDB Local (default: AWS)
//	SWITCHBOARD_SIP_DOMAIN         SIP domain and digest realm (required)
//	SWITCHBOARD_NODE_ID            this node's id, the EC2 instance id (required)
//	SWITCHBOARD_PUBLIC_IP          the node's Elastic IP, advertised in SDP for media (required)
//	SWITCHBOARD_PRIVATE_IP         the node's private IP: RTP, and listeners given without a host, bind to it (required)
//	SWITCHBOARD_FLEET_SECRET_ARN   Secrets Manager secret whose SecretString (32+ characters) keys the
//	                               digest nonces of every node alike (required unless SWITCHBOARD_FLEET_SECRET)
//	SWITCHBOARD_FLEET_SECRET       the secret's value itself, for tests (never logged)
//	SWITCHBOARD_SYNC_ADDR          host:port of the sync endpoint streamsync posts to (default ":7070")
//	SWITCHBOARD_SIP_UDP            SIP over UDP host:port, or "off" (default ":5060")
//	SWITCHBOARD_SIP_TCP            SIP over TCP host:port, or "off" (default ":5060")
//	SWITCHBOARD_STUN               STUN host:port, or "off" (default ":10000")
//	SWITCHBOARD_RTP_PORTS          the relay's UDP port range (default "20000-39999")
//	SWITCHBOARD_TRUNK              SIP trunk host:port for external numbers (default: none)
//	SWITCHBOARD_TRUNK_USER         user name for the trunk's digest challenges
//	SWITCHBOARD_TRUNK_PASSWORD     password for the trunk's digest challenges (never logged)
//	SWITCHBOARD_EVENT_QUEUE_URL    SQS queue of call events for the webhooks function (default: events dropped)
//	SWITCHBOARD_SIP_DIGEST         digest algorithms phones are challenged with, in order (default "md5,sha-256")
//	SWITCHBOARD_KMS_KEY_ID         KMS key of the accounts' sealed secrets: the node posts newCall webhooks
//	                               itself and follows their steering (default: no newCall webhooks)
//	SWITCHBOARD_HEARTBEAT          how often the node's item is refreshed and its resync flag read (default 30s)
//	SWITCHBOARD_LOG_FORMAT         json or text (default json)
//	SWITCHBOARD_LOG_LEVEL          debug, info, warn or error (default info)
//
// An address without a host (":5060") is bound on the private IP, because
// the B2BUA writes the bound address into its Via and Contact headers.
//
// At start the node lists itself in the table (PK FLEET, SK NODE#<id>, with
// a TTL refreshed every heartbeat), then loads its directory from a
// snapshot, holding the pushes that arrive meanwhile, then serves and logs
// one "fleet ready" line with its addresses. On SIGTERM or SIGINT it ends
// its calls, deletes its item and exits.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/switchboard/switchboard/events"
	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/events/webhook/sqs"
	"github.com/switchboard/switchboard/mediafleet/calls"
	"github.com/switchboard/switchboard/mediafleet/fleet"
	"github.com/switchboard/switchboard/shared/account"
	"github.com/switchboard/switchboard/shared/config"
	"github.com/switchboard/switchboard/shared/secret"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "fleetd: %v\n", err)
		os.Exit(1)
	}
}

// run starts the node and serves until ctx ends.
func run(ctx context.Context, getenv config.Getenv, stderr io.Writer) error {
	cfg, err := Load(getenv)
	if err != nil {
		return err
	}
	logger, err := config.Logger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	logger.Info("fleet starting", cfg.LogAttrs()...)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	db, err := dynamo.New(client, dynamo.Config{TableName: cfg.Table})
	if err != nil {
		return err
	}
	secret := cfg.FleetSecret
	if cfg.FleetSecretARN != "" {
		if secret, err = fetchSecret(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.FleetSecretARN); err != nil {
			return err
		}
	}
	key, err := nonceKey(secret)
	if err != nil {
		return err
	}
	var pub events.Publisher = discard{}
	if cfg.EventQueueURL != "" {
		if pub, err = sqs.New(awsCfg, cfg.EventQueueURL); err != nil {
			return err
		}
	} else {
		logger.Warn("no SWITCHBOARD_EVENT_QUEUE_URL: call events are dropped")
	}
	steer, err := steerer(cfg, awsCfg, db, logger)
	if err != nil {
		return err
	}
	f, err := fleet.New(ctx, fleet.Config{
		Domain: cfg.SIPDomain, Node: cfg.NodeID,
		SIPUDP: cfg.SIPUDP, SIPTCP: cfg.SIPTCP, STUN: cfg.STUN,
		RelayListenIP: cfg.PrivateIP, RelayAdvertiseIP: cfg.PublicIP, RTPPortMin: cfg.RTPPortMin, RTPPortMax: cfg.RTPPortMax,
		Advertise:   cfg.PublicIP,
		Trunk:       calls.Trunk{Address: cfg.Trunk, Username: cfg.TrunkUser, Password: cfg.TrunkPassword},
		NonceSecret: key,
		PeerKey:     peerKey(secret),
		Challenges:  cfg.SIPDigest,
		Calls: func(_ *calls.Config, d *calls.Deps) {
			if steer != nil {
				d.Steer = steer
			}
		},
	}, db, pub, logger)
	if err != nil {
		return err
	}
	n, err := open(ctx, cfg, f, db, logger)
	if err != nil {
		f.Close()
		return err
	}
	err = n.run(ctx)
	if steer != nil {
		steer.Wait() // newCall requests still out log into the table
	}
	logger.Info("fleet stopped")
	return err
}

// discard drops call events when no queue is configured.
type discard struct{}

func (discard) Publish(context.Context, events.Event) error { return nil }

// steerer is the webhook deliverer that posts newCall and follows its
// steering answer, under the URL policy of AWS (https to public
// addresses only); nil without a KMS key to open the signing secrets.
func steerer(cfg Config, awsCfg aws.Config, st store.Store, logger *slog.Logger) (*webhook.Deliverer, error) {
	if cfg.KMSKeyID == "" {
		logger.Warn("no SWITCHBOARD_KMS_KEY_ID: newCall webhooks are not posted")
		return nil, nil
	}
	seal := secret.Envelope{KEK: secret.KMS{Client: kms.NewFromConfig(awsCfg), KeyID: cfg.KMSKeyID}}
	return webhook.New(webhook.Config{URLs: account.StrictURLs}, st, seal, logger)
}
