// Command bootstrap is the accounts function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api"
)

func main() { api.ServeLambda(accounts.Register) }
