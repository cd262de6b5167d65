package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
)

// Environment of the account domain in the HTTP functions.
const (
	envKMSKeyID  = "KMS_KEY_ID"
	envSIPDomain = "SIP_DOMAIN"
)

// DefaultSIPDomain is the SIP domain when the context names none; a real
// deployment sets its own with `-c sipDomain=sip.example.com`.
const DefaultSIPDomain = "sip.switchboard.example"

// newSecretsKey is the KMS key that wraps the data keys of sealed secrets
// (phones' SIP passwords, shown again to admins). It is kept when the stack
// goes: without it, the sealed passwords in the retained table could never
// be opened again.
func newSecretsKey(scope constructs.Construct) awskms.Key {
	return awskms.NewKey(scope, jsii.String("SecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("Switchboard: wraps the data keys of sealed secrets"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
}

// accountEnv adds what the account domain needs to the HTTP functions'
// environment.
func accountEnv(env map[string]*string, key awskms.Key, sipDomain string) map[string]*string {
	out := make(map[string]*string, len(env)+2)
	for k, v := range env {
		out[k] = v
	}
	out[envKMSKeyID] = key.KeyArn()
	out[envSIPDomain] = jsii.String(sipDomain)
	return out
}

// grantSecrets lets the HTTP functions seal and open secrets with the key,
// and send e-mail (the users function sends new users their access link).
func grantSecrets(key awskms.Key, fns functions) {
	for _, f := range gateway.HTTP {
		key.GrantEncryptDecrypt(fns[f.Name])
	}
	fns["users"].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ses:SendEmail", "ses:SendRawEmail"),
		Resources: jsii.Strings("*"),
	}))
}
