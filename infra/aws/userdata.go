package main

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
)

// fleetSetupScript is the fleet nodes' user data: a bash script run once at
// first boot. It is a file of its own so it reads, and can be checked, as
// the shell script it is.
//
//go:embed fleet-setup.sh
var fleetSetupScript string

var fleetSetupTemplate = template.Must(template.New("fleet-setup.sh").Option("missingkey=error").Parse(fleetSetupScript))

// fleetSetup is what the setup script is filled in with. Values may be CDK
// tokens (the table's name, the asset's URL): they stay opaque strings here
// and CloudFormation substitutes them at deploy time.
type fleetSetup struct {
	Region    string
	StackName string
	BinaryURL string
	Table     string
	SIPDomain string
	SecretARN string
	QueueURL  string
	KMSKey    string
	RTPPorts  string
	SyncPort  int
	TagKey    string
}

// fleetUserData renders the setup script.
func fleetUserData(s fleetSetup) (string, error) {
	var b strings.Builder
	if err := fleetSetupTemplate.Execute(&b, s); err != nil {
		return "", fmt.Errorf("fleet setup script: %w", err)
	}
	return b.String(), nil
}
