// Command bootstrap is the verification function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/verification"
)

func main() { api.ServeLambda(verification.Register) }
