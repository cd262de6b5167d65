// Command bootstrap is the billing function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/billing"
)

func main() { api.ServeLambda(billing.Register) }
